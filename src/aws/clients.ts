/**
 * The one factory for AWS SDK clients. Every client in clinica is made here, from an AwsTarget derived from
 * the resolved config, so region, profile, endpoint, retries, timeouts and the local-server quirks are set in
 * one place. SDK packages are imported lazily: a command that never talks to AWS never pays for them.
 */
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { SESClient } from '@aws-sdk/client-ses';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import type { ACMClient } from '@aws-sdk/client-acm';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SocialMessagingClient } from '@aws-sdk/client-socialmessaging';
import type { SNSClient } from '@aws-sdk/client-sns';
import { createRequire } from 'node:module';

/** Where and how to reach AWS (or an AWS-compatible emulator). */
export interface AwsTarget {
  region: string;
  profile?: string;
  /** endpoint for every service (e.g. --endpoint-url of an emulator) */
  endpoint?: string;
  /** per-service endpoints (the local stack runs S3 and SES on different ports) */
  endpoints?: Partial<Record<'s3' | 'ses' | 'ec2' | 'lambda' | 'iam' | 'ssm' | 'sts' | 'route53' | 'logs' | 'cloudfront' | 'acm' | 'sqs' | 'socialmessaging' | 'sns', string>>;
  /** static credentials (the local stack); otherwise the default chain with `profile` */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * An S3-compatible server rather than AWS: path-style addressing and checksums only when required
   * (s3rver stores the SDK's default aws-chunked uploads with their framing bytes — silent corruption).
   */
  s3Compatible?: boolean;
  maxAttempts?: number;
  /** per-attempt socket idle timeout; the local SES never answers actions it doesn't know */
  requestTimeoutMs?: number;
  /**
   * the longest one call may take, all its attempts included (default CALL_DEADLINE_MS); false for a call
   * that legitimately runs long (a synchronous Lambda invoke). Calls that send a stream or a large body are
   * bounded by the idle timeout alone: a slow uplink moving bytes is not a hung endpoint.
   */
  callDeadlineMs?: number | false;
  /** after how long a call still running is reported ("still waiting for S3 at …") */
  slowNoticeMs?: number;
}

/** Wait for a TCP connection: a host that never answers is known in seconds. */
export const CONNECTION_TIMEOUT_MS = 5_000;
/** An attempt that receives no byte for this long is dropped (and retried). */
export const REQUEST_IDLE_TIMEOUT_MS = 15_000;
export const MAX_ATTEMPTS = 3;
/** A whole call (all attempts) fails after this: a hung endpoint costs well under a minute, not 4. */
export const CALL_DEADLINE_MS = 40_000;
export const SLOW_NOTICE_MS = 5_000;
/** Bodies up to this size are sent within the call deadline; larger ones or streams only by the idle timeout. */
const DEADLINE_BODY_LIMIT = 1024 * 1024;

let slowCallNotice: (message: string) => void = () => {};
/** per endpoint, how many calls past their notice are still running */
const slowCalls = new Map<string, number>();

/**
 * Where "still waiting for S3 at …" goes: the CLI face hands its reporter here (core code never prints).
 * Returns a function that restores the previous one.
 */
export function onSlowCall(notice: (message: string) => void): () => void {
  const previous = slowCallNotice;
  slowCallNotice = notice;
  return () => {
    slowCallNotice = previous;
  };
}

/**
 * How AWS is named in messages before the account is known: "AWS (sa-east-1)", or "AWS (sa-east-1, profile
 * clinica)" — so "no AWS credentials for …" says which profile gave none (a mistyped --profile or AWS_PROFILE).
 */
export const awsWhere = (target: Pick<AwsTarget, 'region' | 'profile' | 'credentials'>) =>
  `AWS (${target.region}${target.profile && !target.credentials ? `, profile ${target.profile}` : ''})`;

/** The credentials s3rver accepts (any other access key gets 403; secrets are not checked). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

type Service = keyof NonNullable<AwsTarget['endpoints']>;

function baseConfig(target: AwsTarget, service: Service) {
  return {
    region: target.region,
    ...(target.profile && !target.credentials ? { profile: target.profile } : {}),
    ...(target.credentials ? { credentials: target.credentials } : {}),
    endpoint: target.endpoints?.[service] ?? target.endpoint,
    maxAttempts: target.maxAttempts ?? MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: target.requestTimeoutMs ?? REQUEST_IDLE_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  };
}

const SERVICE_NAMES: Record<Service, string> = { s3: 'S3', ses: 'SES', ec2: 'EC2', lambda: 'Lambda', iam: 'IAM', ssm: 'SSM', sts: 'STS', route53: 'Route 53', logs: 'CloudWatch Logs', cloudfront: 'CloudFront', acm: 'ACM', sqs: 'SQS', socialmessaging: 'End User Messaging Social', sns: 'SNS' };

interface Sender {
  send(command: { input?: unknown }, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}

/**
 * A call's deadline, handed to the request handler without the call's `abortSignal` option (which would stop
 * the client from reusing its resolved middleware chain, `cacheMiddleware`: the chain would be rebuilt for
 * every call). It is put on the command's input (not enumerable: the input stays as the caller made it), the
 * first middleware lifts it onto the arguments that flow down the chain (the SDK's middlewares copy those with
 * spread, keeping it, where several make a copy of the input without it), and the last puts it on each
 * attempt's request, where the request handler finds it.
 */
const DEADLINE = Symbol('clinica.deadline');
/** S3's clock when it answered (the response's Date header), on a call's output. */
export const SERVER_DATE = Symbol('clinica.serverDate');

interface MiddlewareStack {
  add(middleware: unknown, options: { step: string; name: string; priority?: string }): void;
}
interface RequestHandler {
  handle(request: unknown, options?: { abortSignal?: AbortSignal }): Promise<unknown>;
}
interface Carrier {
  [DEADLINE]?: AbortSignal;
}

/**
 * What every client of the factory gets once, instead of per call: the deadline's path to the request
 * handler (above) and the answer's Date header on the output (SERVER_DATE).
 */
function addClientMiddleware(client: object): void {
  const stack = (client as { middlewareStack: MiddlewareStack }).middlewareStack;
  const config = (client as { config: { requestHandler: RequestHandler } }).config;
  type Args = Carrier & { input?: Carrier; request?: Carrier };
  stack.add(
    (next: (args: Args) => Promise<unknown>) => (args: Args) => {
      const signal = args.input?.[DEADLINE];
      return next(signal ? { ...args, [DEADLINE]: signal } : args);
    },
    { step: 'initialize', name: 'clinicaDeadlineIn', priority: 'high' },
  );
  stack.add(
    (next: (args: Args) => Promise<unknown>) => (args: Args) => {
      const signal = args[DEADLINE];
      if (signal && args.request && typeof args.request === 'object') args.request[DEADLINE] = signal;
      return next(args);
    },
    { step: 'deserialize', name: 'clinicaDeadlineOut', priority: 'low' },
  );
  stack.add(
    (next: (args: Args) => Promise<{ output?: object; response?: { headers?: Record<string, string> } }>) => async (args: Args) => {
      const result = await next(args);
      const date = result.response?.headers?.date;
      if (date && result.output) Object.defineProperty(result.output, SERVER_DATE, { value: date });
      return result;
    },
    { step: 'initialize', name: 'clinicaServerDate', priority: 'high' },
  );
  const inner = config.requestHandler;
  if (!inner || typeof inner.handle !== 'function') return;
  const handle = (request: Carrier, options: { abortSignal?: AbortSignal } = {}) => {
    const deadline = request?.[DEADLINE];
    if (!deadline) return inner.handle(request, options);
    return inner.handle(request, { ...options, abortSignal: options.abortSignal ? AbortSignal.any([deadline, options.abortSignal]) : deadline });
  };
  config.requestHandler = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'handle') return handle;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * A PutObject sent with its SHA-256 (ChecksumSHA256) is signed with that hash as its payload hash, instead of
 * the signer hashing the body once more.
 */
function addKnownPayloadHash(client: S3Client): void {
  type Args = { input?: { ChecksumSHA256?: string }; request?: { headers?: Record<string, string> } };
  (client.middlewareStack as unknown as MiddlewareStack).add(
    (next: (args: Args) => Promise<unknown>, context: { commandName?: string }) => (args: Args) => {
      const checksum = args.input?.ChecksumSHA256;
      const headers = args.request?.headers;
      if (checksum && headers && context.commandName === 'PutObjectCommand' && !headers['x-amz-content-sha256']) {
        headers['x-amz-content-sha256'] = Buffer.from(checksum, 'base64').toString('hex');
      }
      return next(args);
    },
    { step: 'build', name: 'clinicaKnownPayloadHash' },
  );
}

function boundedBody(input: unknown): boolean {
  const body = (input as { Body?: unknown } | undefined)?.Body;
  if (body === undefined || typeof body === 'string') return typeof body !== 'string' || body.length <= DEADLINE_BODY_LIMIT;
  return body instanceof Uint8Array && body.byteLength <= DEADLINE_BODY_LIMIT;
}

/**
 * Bounds every call of `client` as a whole (all retries): after `slowNoticeMs` it says "still waiting for S3
 * at …" once, and at the deadline it aborts the attempt in flight, so the call fails with a TimeoutError
 * (described as "cannot reach …") instead of hanging through attempt after attempt. The class's own `send` is
 * looked up at each call, so aws-sdk-client-mock's stubs (made before or after the client) are honoured.
 */
function bounded<C extends object>(client: C, target: AwsTarget, service: Service): C {
  const deadline = target.callDeadlineMs ?? CALL_DEADLINE_MS;
  const sender = client as unknown as Sender;
  addClientMiddleware(client);
  const proto = Object.getPrototypeOf(client) as Sender;
  const endpoint = target.endpoints?.[service] ?? target.endpoint;
  const where = endpoint ? `${SERVICE_NAMES[service]} at ${endpoint}` : `${SERVICE_NAMES[service]} (${target.region})`;
  // the bucket of the first call: calls of another one are sent with a chain of their own (an options
  // argument, even empty, is what tells the client not to reuse its chain)
  let pinned: string | undefined;
  const sameBucket = (input: unknown) => {
    const bucket = (input as { Bucket?: unknown } | undefined)?.Bucket;
    if (typeof bucket !== 'string') return true;
    pinned ??= bucket;
    return bucket === pinned;
  };
  // a change of the client's middleware after its first call (tests record calls that way): the next call is
  // sent with a chain of its own, which also makes the client drop the chains it kept
  let changed = false;
  const stack = (client as unknown as { middlewareStack: Record<string, unknown> }).middlewareStack;
  for (const method of ['add', 'addRelativeTo', 'use', 'remove', 'removeByTag']) {
    const original = stack[method];
    if (typeof original !== 'function') continue;
    stack[method] = (...args: unknown[]) => {
      changed = true;
      return (original as (...a: unknown[]) => unknown).apply(stack, args);
    };
  }
  sender.send = (command, given) => {
    const carries = typeof command.input === 'object' && command.input !== null && Object.isExtensible(command.input);
    const reuse = !changed && carries && sameBucket(command.input);
    changed = false;
    const options = given ?? (reuse ? undefined : {});
    if (deadline === false || !boundedBody(command.input)) return proto.send.call(sender, command, options);
    const controller = new AbortController();
    let slowSaid = false;
    const slow = setTimeout(() => {
      slowSaid = true;
      // calls made together (a list and its reads) wait together: one line for them all
      const waiting = slowCalls.get(where) ?? 0;
      slowCalls.set(where, waiting + 1);
      if (!waiting) slowCallNotice(`still waiting for ${where}…`);
    }, target.slowNoticeMs ?? SLOW_NOTICE_MS);
    const timer = setTimeout(() => {
      const error = Object.assign(new Error(`no answer from ${where} within ${Math.round(deadline / 1000)} s`), { name: 'TimeoutError' });
      controller.abort(error);
    }, deadline);
    slow.unref();
    timer.unref();
    let sent: Promise<unknown>;
    if (options) {
      sent = proto.send.call(sender, command, {
        ...options,
        abortSignal: options.abortSignal ? AbortSignal.any([controller.signal, options.abortSignal]) : controller.signal,
      });
    } else {
      // no options: the client may reuse its middleware chain; the deadline rides on the input (see DEADLINE)
      Object.defineProperty(command.input, DEADLINE, { value: controller.signal, configurable: true, writable: true, enumerable: false });
      sent = proto.send.call(sender, command);
    }
    return sent.finally(() => {
      clearTimeout(slow);
      clearTimeout(timer);
      if (slowSaid) slowCalls.set(where, slowCalls.get(where)! - 1);
    });
  };
  return client;
}

const nodeRequire = createRequire(import.meta.url);

/**
 * The S3 SDK's module, for every part of clinica that uses it. The package is CommonJS: an `import()` of it
 * from an ES module makes Node first lex its 270 KB main file for the names it exports (≈ 50 CPU-ms of each
 * command that reads the bucket: `clinica patients list` 0.46 → 0.39 CPU-s, median of 21 runs); `require`
 * loads it without. esbuild bundles only the imports it can see: the Lambda bundles, built with
 * CLINICA_BUNDLED defined (infra/bundle.ts), take the import().
 */
export const s3Sdk = (): Promise<typeof import('@aws-sdk/client-s3')> =>
  process.env.CLINICA_BUNDLED ? import('@aws-sdk/client-s3') : Promise.resolve(nodeRequire('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3'));

export async function s3Client(target: AwsTarget): Promise<S3Client> {
  const { S3Client } = await s3Sdk();
  const config: S3ClientConfig = baseConfig(target, 's3');
  if (target.s3Compatible) {
    config.forcePathStyle = true;
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  // The resolved middleware chain is reused from call to call (0.2 ms of CPU less per call, measured in
  // bench/): nothing in clinica changes a client's or a command's middleware once the client is made (see
  // DEADLINE). The reused chain shares one context between the calls in flight, and the endpoint it holds
  // names the bucket: only the calls of one bucket use it (see sameBucket in bounded).
  config.cacheMiddleware = true;
  // Bodies of 2 MB and more (image originals) would be sent with "Expect: 100-continue", which the SDK's
  // handler sends on a connection of its own, never reused: a new TLS handshake per radiograph on AWS. Those
  // uploads are unconditional and almost always accepted, so the body goes at once on a pooled connection.
  config.expectContinueHeader = false;
  const client = new S3Client(config);
  addKnownPayloadHash(client);
  return bounded(client, target, 's3');
}

/** The region of a global service (IAM, Route 53, CloudFront, ACM for CloudFront): us-east-1, where its endpoint
 * is, unless an emulator stands in for it. */
const globalRegion = (target: AwsTarget, service: Service) => (target.endpoint || target.endpoints?.[service] ? target.region : 'us-east-1');

/** A client of `service` from its SDK class (loaded lazily by the caller), every call bounded; `region` for a global one. */
async function client<C extends object>(target: AwsTarget, service: Service, load: Promise<new (config: ReturnType<typeof baseConfig>) => C>, region?: string): Promise<C> {
  const Client = await load;
  return bounded(new Client({ ...baseConfig(target, service), ...(region ? { region } : {}) }), target, service);
}

export const sesClient = (target: AwsTarget): Promise<SESClient> => client(target, 'ses', import('@aws-sdk/client-ses').then((m) => m.SESClient));
export const ec2Client = (target: AwsTarget): Promise<EC2Client> => client(target, 'ec2', import('@aws-sdk/client-ec2').then((m) => m.EC2Client));
export const lambdaClient = (target: AwsTarget): Promise<LambdaClient> => client(target, 'lambda', import('@aws-sdk/client-lambda').then((m) => m.LambdaClient));
export const iamClient = (target: AwsTarget): Promise<IAMClient> => client(target, 'iam', import('@aws-sdk/client-iam').then((m) => m.IAMClient), globalRegion(target, 'iam'));
export const ssmClient = (target: AwsTarget): Promise<SSMClient> => client(target, 'ssm', import('@aws-sdk/client-ssm').then((m) => m.SSMClient));
export const stsClient = (target: AwsTarget): Promise<STSClient> => client(target, 'sts', import('@aws-sdk/client-sts').then((m) => m.STSClient));
export const logsClient = (target: AwsTarget): Promise<CloudWatchLogsClient> =>
  client(target, 'logs', import('@aws-sdk/client-cloudwatch-logs').then((m) => m.CloudWatchLogsClient));

/** Route 53 (the ACME DNS-01 records, the stage's zone); its calls are not bounded. */
export async function route53Client(target: AwsTarget): Promise<Route53Client> {
  const { Route53Client } = await import('@aws-sdk/client-route-53');
  return new Route53Client({ ...baseConfig(target, 'route53'), region: globalRegion(target, 'route53') });
}

export const cloudfrontClient = (target: AwsTarget): Promise<CloudFrontClient> =>
  client(target, 'cloudfront', import('@aws-sdk/client-cloudfront').then((m) => m.CloudFrontClient), globalRegion(target, 'cloudfront'));
/** ACM in us-east-1: CloudFront takes certificates from that region only, wherever the stage is. */
export const acmClient = (target: AwsTarget): Promise<ACMClient> => client(target, 'acm', import('@aws-sdk/client-acm').then((m) => m.ACMClient), globalRegion(target, 'acm'));
export const sqsClient = (target: AwsTarget): Promise<SQSClient> => client(target, 'sqs', import('@aws-sdk/client-sqs').then((m) => m.SQSClient));
/** AWS End User Messaging Social (WhatsApp): src/messaging/whatsapp.ts sends through it. */
export const socialMessagingClient = (target: AwsTarget): Promise<SocialMessagingClient> =>
  client(target, 'socialmessaging', import('@aws-sdk/client-socialmessaging').then((m) => m.SocialMessagingClient));
export const snsClient = (target: AwsTarget): Promise<SNSClient> => client(target, 'sns', import('@aws-sdk/client-sns').then((m) => m.SNSClient));
