import { ClinicaError } from '../errors.js';

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
  $fault?: 'client' | 'server';
  errors?: unknown[];
  cause?: unknown;
}

const networkCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'TimeoutError', 'RequestTimeout']);
const throttleNames = new Set(['Throttling', 'ThrottlingException', 'SlowDown', 'TooManyRequestsException', 'RequestLimitExceeded', 'ProvisionedThroughputExceededException']);

function networkCode(err: AwsLikeError): string | undefined {
  if (err.code && networkCodes.has(err.code)) return err.code;
  if (err.name && networkCodes.has(err.name)) return err.name;
  // Node's fetch/AggregateError (happy-eyeballs) wraps the real socket errors.
  for (const inner of err.errors ?? []) {
    const code = networkCode(inner as AwsLikeError);
    if (code) return code;
  }
  if (err.cause && typeof err.cause === 'object') return networkCode(err.cause as AwsLikeError);
  return undefined;
}

/** The error code the local S3's proxy answers (503) while its s3rver child is down (src/local/s3-server.ts). */
export const LOCAL_S3_STOPPED = 'LocalS3Stopped';

/** How the local stack's S3 is named in messages: describeAwsError knows it, to say what to do when it is gone. */
const LOCAL_S3 = 'the local S3 of clinica dev';
export const localS3Where = (endpoint: string) => `${LOCAL_S3} (${endpoint})`;

const localStopped = (err: unknown) => new ClinicaError('unavailable', `${LOCAL_S3} stopped`, { hint: 'restart clinica dev', cause: err });

/**
 * Turns an SDK error into a one-line ClinicaError: no credentials, unreachable endpoint, throttling past the
 * retries, access denied. Returns other errors unchanged (the caller may know better, e.g. NoSuchKey).
 * `what` names the thing being done, e.g. "S3 at http://127.0.0.1:4568".
 */
export function describeAwsError(err: unknown, what: string): unknown {
  if (err instanceof ClinicaError || !err || typeof err !== 'object') return err;
  const e = err as AwsLikeError;
  if (e.name === 'CredentialsProviderError' || /Could not load credentials|credential/i.test(e.message ?? '') && e.name !== 'InvalidClientTokenId') {
    return new ClinicaError('credentials', `no AWS credentials for ${what}`, {
      hint: 'configure a profile (aws configure / aws sso login) and pass --profile, or set AWS_PROFILE or AWS_ACCESS_KEY_ID',
      cause: err,
    });
  }
  if (['ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException', 'InvalidAccessKeyId', 'SignatureDoesNotMatch'].includes(e.name ?? '')) {
    return new ClinicaError('credentials', `AWS rejected the credentials for ${what} (${e.name})`, {
      hint: 'refresh them (aws sso login) or check AWS_PROFILE / --profile',
      cause: err,
    });
  }
  if (e.name === LOCAL_S3_STOPPED) return localStopped(err);
  const net = networkCode(e);
  // the local stack's internal port means nothing to the person: say which part of it went and the fix
  if (net === 'ECONNREFUSED' && what.startsWith(LOCAL_S3)) return localStopped(err);
  if (net) {
    return new ClinicaError('unavailable', `cannot reach ${what} (${net})`, {
      hint: 'check the endpoint, the network, or that the service is running',
      cause: err,
    });
  }
  if (throttleNames.has(e.name ?? '') || e.$metadata?.httpStatusCode === 429) {
    return new ClinicaError('unavailable', `AWS is throttling ${what} and the retries ran out`, {
      hint: 'wait a minute and run the command again — it is safe to re-run',
      cause: err,
    });
  }
  if (e.name === 'AccessDenied' || e.name === 'AccessDeniedException' || e.$metadata?.httpStatusCode === 403) {
    return new ClinicaError('forbidden', `access denied by AWS for ${what}`, {
      hint: 'the profile or role lacks a permission; see docs/aws.md for the policy clinica needs',
      cause: err,
    });
  }
  return err;
}
