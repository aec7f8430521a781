/**
 * Waiting on AWS: polling until a resource settles, and retrying calls that fail only because IAM has not
 * propagated yet. Both are bounded and end in a one-line ClinicaError that says what to do.
 */
import { ClinicaError } from '../errors.js';

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

interface AwsErrorLike {
  name?: string;
  message?: string;
}

/**
 * IAM is eventually consistent: for some seconds after CreateRole / AddRoleToInstanceProfile / AddPermission,
 * other services reject the new principal. These are the messages they use for it.
 */
export function isIamPropagationError(err: unknown): boolean {
  const e = err as AwsErrorLike;
  const message = e?.message ?? '';
  switch (e?.name) {
    case 'InvalidParameterValueException': // Lambda: "The role defined for the function cannot be assumed by Lambda."
      return /role|assume/i.test(message);
    case 'InvalidParameterValue': // EC2: "Value (x) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name"
    case 'InvalidParameterCombination':
      return /iamInstanceProfile|instance profile/i.test(message);
    case 'InvalidArgument': // S3 notification: "Unable to validate the following destination configurations"
      return /unable to validate the following destination/i.test(message);
    case 'InvalidAttributeValue': // SQS: a queue policy naming a role it cannot see yet
      return /policy/i.test(message);
    default:
      return false;
  }
}

export interface RetryOptions {
  what: string;
  sleep: Sleep;
  /** the backoff schedule in ms; the call is tried once more than its length */
  delays?: number[];
  retryIf?: (err: unknown) => boolean;
  onRetry?: (attempt: number, err: unknown) => void;
  /** what to throw when the retries run out (default: the IAM propagation message) */
  exhausted?: (err: unknown, waitedSeconds: number) => unknown;
}

/** 1+2+3+5+8+10 = 29 s: S3 settles a new bucket or a changed public access block within seconds. */
export const S3_SETTLE_MS = [1_000, 2_000, 3_000, 5_000, 8_000, 10_000];

/** 2+3+5+8+10×7 = 88 s: IAM usually settles in 5–15 s; past a minute and a half something else is wrong. */
export const IAM_BACKOFF_MS = [2_000, 3_000, 5_000, 8_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000];

export async function retryIam<T>(call: () => Promise<T>, options: RetryOptions): Promise<T> {
  const delays = options.delays ?? IAM_BACKOFF_MS;
  const retryIf = options.retryIf ?? isIamPropagationError;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (!retryIf(err)) throw err;
      if (attempt >= delays.length) {
        const waited = Math.round(delays.reduce((a, b) => a + b, 0) / 1000);
        if (options.exhausted) throw options.exhausted(err, waited);
        throw new ClinicaError('unavailable', `${options.what}: IAM changes had not reached AWS after ${waited} s (${(err as Error).message})`, {
          hint: 'IAM can take a few minutes to propagate — run `clinica deploy` again; it continues where it stopped',
          cause: err,
        });
      }
      options.onRetry?.(attempt + 1, err);
      await options.sleep(delays[attempt]!);
    }
  }
}

export interface WaitOptions {
  what: string;
  sleep: Sleep;
  intervalMs?: number;
  timeoutMs?: number;
}

/** Polls `check` until it returns a value (not undefined); a bounded wait with a clear message. */
export async function waitFor<T>(check: () => Promise<T | undefined>, options: WaitOptions): Promise<T> {
  const interval = options.intervalMs ?? 2_000;
  const timeout = options.timeoutMs ?? 300_000;
  let waited = 0;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (waited >= timeout) {
      throw new ClinicaError('unavailable', `timed out after ${Math.round(waited / 1000)} s waiting for ${options.what}`, {
        hint: 'check the AWS console for the resource; `clinica deploy` is safe to run again',
      });
    }
    await options.sleep(interval);
    waited += interval;
  }
}
