/**
 * Invoking a deployed Lambda function and waiting for its JSON answer (`clinica remind --via lambda`).
 * Not retried: a retried invoke would start the work a second time.
 */
import { lambdaClient, type AwsTarget } from './clients.js';
import { describeAwsError } from './errors.js';
import { ClinicaError } from '../errors.js';

export interface InvokeOptions {
  /** how long to wait for the function (default 15 minutes, Lambda's longest run) */
  timeoutMs?: number;
}

export async function invokeJson<T>(target: AwsTarget, functionName: string, payload: unknown, options: InvokeOptions = {}): Promise<T> {
  const { InvokeCommand } = await import('@aws-sdk/client-lambda');
  const client = await lambdaClient({ ...target, maxAttempts: 1, requestTimeoutMs: options.timeoutMs ?? 15 * 60_000, callDeadlineMs: false });
  let out;
  try {
    out = await client.send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(JSON.stringify(payload)) }));
  } catch (err) {
    const described = describeAwsError(err, `Lambda function ${functionName}`);
    if (described instanceof ClinicaError) throw described;
    const name = (err as { name?: string }).name;
    if (name === 'ResourceNotFoundException') {
      throw new ClinicaError('unavailable', `Lambda function ${functionName} does not exist (${target.region})`, {
        hint: 'deploy it with `clinica deploy`, or check --stage / --region',
        cause: err,
      });
    }
    throw new ClinicaError('unavailable', `invoking ${functionName} failed: ${name ?? ''} ${(err as Error).message}`.trim(), { cause: err });
  }
  const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    throw new ClinicaError('internal', `${functionName} answered something that is not JSON: ${text.slice(0, 200)}`);
  }
  if (out.FunctionError) {
    const e = (body ?? {}) as { errorType?: string; errorMessage?: string };
    throw new ClinicaError('unavailable', `${functionName} failed: ${e.errorType ?? out.FunctionError}: ${e.errorMessage ?? text.slice(0, 200)}`, {
      hint: `see its log group /aws/lambda/${functionName} in CloudWatch`,
    });
  }
  return body as T;
}
