/**
 * image-processor's failures: an event Lambda could not process after its retries (an infrastructure reason —
 * a throttle, a timeout, S3 unavailable) is not dropped but sent to an SQS queue (SSE-SQS, kept 14 days), its
 * on-failure destination. Only the function's role may send to it (the queue policy, and the role's one
 * sqs:SendMessage statement in iam.ts). `status` shows how many wait there; `clinica images retry-failed`
 * processes them again and deletes each message only once its image was processed.
 *
 *   IAM roles → … → failure queue → Lambda functions → on-failure destination (PutFunctionEventInvokeConfig)
 */
import type { Message } from '@aws-sdk/client-sqs';
import { lambdaClient } from '../aws/clients.js';
import { awsCall, isAwsError, type InfraContext } from './context.js';
import { arn, foreignOwner, missingTags } from './names.js';
import { deleteStep, step, type Change } from './plan.js';
import { policy, samePolicy, type PolicyDocument } from './policy-document.js';
import { resource } from './resource.js';
import { retryIam } from './retry.js';
import { ClinicaError } from '../errors.js';
import type { FunctionState } from './lambdas.js';

const sqsSdk = () => import('@aws-sdk/client-sqs');

/** 14 days, SQS's longest: time for someone to notice in `status` and run retry-failed. */
export const FAILURE_RETENTION_S = 14 * 86_400;
/** Lambda's own retries of an asynchronous event before it goes to the destination. */
export const FAILURE_RETRY_ATTEMPTS = 2;

/** Only image-processor's role may send to the queue; nothing reaches it over plain HTTP. */
export function failureQueuePolicy(ctx: InfraContext): PolicyDocument {
  const queue = arn.queue(ctx.arns, ctx.names.imageFailuresQueue);
  const role = arn.role(ctx.arns, ctx.names.imageProcessorRole);
  return policy(
    { Sid: 'ImageProcessorReportsFailures', Effect: 'Allow', Principal: { AWS: role }, Action: 'sqs:SendMessage', Resource: queue },
    { Sid: 'NoOtherSender', Effect: 'Deny', Principal: '*', Action: 'sqs:SendMessage', Resource: queue, Condition: { ArnNotEquals: { 'aws:PrincipalArn': role } } },
    { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 'sqs:*', Resource: queue, Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
  );
}

/** The queue's attributes clinica sets, as SQS reports them. */
export function failureQueueAttributes(ctx: InfraContext): Record<string, string> {
  return { SqsManagedSseEnabled: 'true', MessageRetentionPeriod: String(FAILURE_RETENTION_S), Policy: JSON.stringify(failureQueuePolicy(ctx)) };
}

export interface QueueState {
  url?: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
}

/** The queue's URL, or undefined when there is none. */
export async function failureQueueUrl(ctx: InfraContext): Promise<string | undefined> {
  const { GetQueueUrlCommand } = await sqsSdk();
  try {
    return (await ctx.clients.sqs.send(new GetQueueUrlCommand({ QueueName: ctx.names.imageFailuresQueue }))).QueueUrl;
  } catch (err) {
    if (isAwsError(err, 'QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue')) return undefined;
    throw err;
  }
}

async function readQueue(ctx: InfraContext): Promise<QueueState> {
  const { GetQueueAttributesCommand, ListQueueTagsCommand } = await sqsSdk();
  const url = await failureQueueUrl(ctx);
  if (!url) return { attributes: {}, tags: {} };
  const [attrs, tags] = await Promise.all([
    ctx.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] })),
    ctx.clients.sqs.send(new ListQueueTagsCommand({ QueueUrl: url })),
  ]);
  return { url, attributes: attrs.Attributes ?? {}, tags: tags.Tags ?? {} };
}

const waiting = (q: QueueState) => Number(q.attributes.ApproximateNumberOfMessages ?? 0);

export const imageFailureQueue = resource<QueueState>({
  id: 'image-failures',
  read: (ctx) => awsCall(ctx, `reading the queue ${ctx.names.imageFailuresQueue}`, () => readQueue(ctx)),
  plan(ctx, q, stage) {
    const name = ctx.names.imageFailuresQueue;
    const tags = ctx.tags('image-processor');
    const foreign = q.url ? foreignOwner(q.tags, tags) : undefined;
    if (foreign) throw new ClinicaError('conflict', `SQS queue ${name} is tagged ${foreign}: it belongs to another clinic or stage`);
    const want = failureQueueAttributes(ctx);
    const retrying = (fn: () => Promise<unknown>) => () =>
      retryIam(fn, { what: `SQS queue ${name}`, sleep: ctx.sleep, onRetry: (n) => ctx.log.info(`waiting for IAM role ${ctx.names.imageProcessorRole} to reach SQS (attempt ${n + 1})`) });
    const changes: Change[] = [];
    if (!q.url) {
      changes.push({
        what: 'create',
        apply: () =>
          awsCall(ctx, `creating the queue ${name}`, async () => {
            const { CreateQueueCommand } = await sqsSdk();
            await retrying(() => ctx.clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: want, tags })))();
          }),
      });
    } else {
      const a = q.attributes;
      const differs: string[] = [];
      if (a.SqsManagedSseEnabled !== 'true' && !a.KmsMasterKeyId) differs.push('encryption none → SSE-SQS');
      if (a.MessageRetentionPeriod !== want.MessageRetentionPeriod) differs.push(`retention ${Math.round(Number(a.MessageRetentionPeriod ?? 0) / 86_400)} → 14 days`);
      if (!a.Policy || !samePolicy(JSON.parse(a.Policy), failureQueuePolicy(ctx))) differs.push(a.Policy ? 'policy changed by hand → only image-processor sends, TLS only' : 'no policy → only image-processor sends, TLS only');
      if (differs.length) {
        changes.push({
          what: differs.join(', '),
          apply: () =>
            awsCall(ctx, `setting the queue ${name}`, async () => {
              const { SetQueueAttributesCommand } = await sqsSdk();
              // a queue encrypted with a KMS key of the clinic's stays so: SSE-SQS only where there was nothing
              const { SqsManagedSseEnabled, ...rest } = want;
              await ctx.clients.sqs.send(new SetQueueAttributesCommand({ QueueUrl: q.url, Attributes: a.KmsMasterKeyId ? rest : { SqsManagedSseEnabled, ...rest } }));
            }),
        });
      }
      const missing = missingTags(q.tags, tags);
      if (missing.length) {
        changes.push({
          what: `tags ${missing.join(', ')}`,
          apply: () =>
            awsCall(ctx, `tagging the queue ${name}`, async () => {
              const { TagQueueCommand } = await sqsSdk();
              await ctx.clients.sqs.send(new TagQueueCommand({ QueueUrl: q.url, Tags: tags }));
            }),
        });
      }
      const n = waiting(q);
      if (n > 0) stage.warn(`${n} uploaded image${n === 1 ? '' : 's'} could not be processed (kept 14 days in ${name}): run \`clinica images retry-failed\``);
    }
    const depth = waiting(q);
    return step({
      id: 'image-failures',
      component: 'image-processor',
      kind: 'SQS queue',
      name,
      exists: Boolean(q.url),
      changes,
      createWhy: "does not exist: image-processor's failed events, SSE-SQS, kept 14 days (free tier: 1 million requests a month)",
      upToDateWhy: `SSE-SQS, 14 days, only image-processor sends; ${depth} failed event${depth === 1 ? '' : 's'} waiting`,
    });
  },
  destroy(ctx, q) {
    if (!q.url) return undefined;
    const n = waiting(q);
    const lost = n ? ` (${n} failed event${n === 1 ? '' : 's'} in it are dropped: run \`clinica images retry-failed\` first to keep them)` : '';
    return deleteStep({ id: 'image-failures', component: 'image-processor', kind: 'SQS queue', name: ctx.names.imageFailuresQueue, why: `stage destroyed${lost}` }, () =>
      awsCall(ctx, `deleting the queue ${ctx.names.imageFailuresQueue}`, async () => {
        const { DeleteQueueCommand } = await sqsSdk();
        await ctx.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: q.url }));
      }),
    );
  },
  owner: (ctx, q) => ({ what: `SQS queue ${ctx.names.imageFailuresQueue}`, tags: q.url ? q.tags : undefined }),
});

interface DestinationState {
  exists: boolean;
  onFailure?: string;
  retries?: number;
}

/** After the function: its asynchronous invocations' on-failure destination is the queue. Deleted with the function. */
export const imageFailureDestination = resource<DestinationState>({
  id: 'image-failure-destination',
  async read(ctx, stage) {
    const fn = await stage.state<FunctionState>('lambda:image-processor');
    if (!fn.exists) return { exists: false };
    return awsCall(ctx, `reading the on-failure destination of ${ctx.names.imageProcessorFunction}`, async () => {
      const { GetFunctionEventInvokeConfigCommand } = await import('@aws-sdk/client-lambda');
      try {
        const out = await ctx.clients.lambda.send(new GetFunctionEventInvokeConfigCommand({ FunctionName: ctx.names.imageProcessorFunction }));
        return { exists: true, onFailure: out.DestinationConfig?.OnFailure?.Destination, retries: out.MaximumRetryAttempts };
      } catch (err) {
        if (isAwsError(err, 'ResourceNotFoundException')) return { exists: false };
        throw err;
      }
    });
  },
  plan(ctx, d) {
    const fn = ctx.names.imageProcessorFunction;
    const queue = arn.queue(ctx.arns, ctx.names.imageFailuresQueue);
    const differs: string[] = [];
    if (d.onFailure !== queue) differs.push(`on-failure destination ${d.onFailure ?? 'none'} → ${ctx.names.imageFailuresQueue}`);
    if (d.retries !== FAILURE_RETRY_ATTEMPTS) differs.push(`retries ${d.retries ?? 'default'} → ${FAILURE_RETRY_ATTEMPTS}`);
    const put: Change = {
      what: differs.join(', '),
      apply: () =>
        awsCall(ctx, `setting the on-failure destination of ${fn}`, async () => {
          const { PutFunctionEventInvokeConfigCommand } = await import('@aws-sdk/client-lambda');
          // Lambda checks that the role may send to the queue: a statement just added takes a moment to be seen
          await retryIam(
            () => ctx.clients.lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: fn, MaximumRetryAttempts: FAILURE_RETRY_ATTEMPTS, DestinationConfig: { OnFailure: { Destination: queue } } })),
            { what: `the on-failure destination of ${fn}`, sleep: ctx.sleep },
          );
        }),
    };
    return step({
      id: 'image-failure-destination',
      component: 'image-processor',
      kind: 'Lambda on-failure destination',
      name: `${fn} → ${ctx.names.imageFailuresQueue}`,
      exists: d.exists,
      changes: differs.length ? [put] : [],
      createWhy: `not set: after ${FAILURE_RETRY_ATTEMPTS} retries a failed event goes to the queue (not dropped)`,
      upToDateWhy: `after ${FAILURE_RETRY_ATTEMPTS} retries → the queue`,
    });
  },
  destroy: () => undefined,
});

// --- clinica images retry-failed ---

/** One event image-processor failed on, as Lambda's destination record carries it. */
export interface FailedEvent {
  messageId: string;
  receiptHandle: string;
  /** the S3 key of the uploaded original, when the record holds an S3 event */
  key?: string;
  /** when the last attempt failed, and why (Lambda's condition: RetriesExhausted, EventAgeExceeded, …) */
  failedAt?: string;
  condition?: string;
  error?: string;
  /** the original event, invoked again; undefined when the message is not a Lambda failure record */
  payload?: unknown;
}

interface DestinationRecord {
  timestamp?: string;
  requestContext?: { condition?: string };
  requestPayload?: { Records?: { s3?: { object?: { key?: string } } }[] };
  responsePayload?: { errorMessage?: string };
}

export function failedEvent(m: Message): FailedEvent {
  let record: DestinationRecord | undefined;
  try {
    record = JSON.parse(m.Body ?? '') as DestinationRecord;
  } catch {
    record = undefined;
  }
  const key = record?.requestPayload?.Records?.[0]?.s3?.object?.key;
  return {
    messageId: m.MessageId!,
    receiptHandle: m.ReceiptHandle!,
    key: key ? decodeURIComponent(key.replace(/\+/g, ' ')) : undefined,
    failedAt: record?.timestamp,
    condition: record?.requestContext?.condition,
    error: record?.responsePayload?.errorMessage,
    payload: record?.requestPayload,
  };
}

/** How long a received message stays hidden from another reader while it is retried (above the function's 120 s). */
export const RETRY_VISIBILITY_S = 900;

/**
 * Every message waiting in the queue (up to `limit`), each hidden from other readers for RETRY_VISIBILITY_S.
 * A message received twice in one pass (SQS delivers at least once) is listed once.
 */
export async function receiveFailed(ctx: InfraContext, url: string, limit = 1000): Promise<FailedEvent[]> {
  const { ReceiveMessageCommand } = await sqsSdk();
  const seen = new Map<string, FailedEvent>();
  while (seen.size < limit) {
    const out = await ctx.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, VisibilityTimeout: RETRY_VISIBILITY_S }));
    const messages = out.Messages ?? [];
    if (!messages.length) break;
    for (const m of messages) if (m.MessageId && !seen.has(m.MessageId)) seen.set(m.MessageId, failedEvent(m));
  }
  return [...seen.values()];
}

/** Makes the messages visible again at once (the operator said no). */
export async function releaseFailed(ctx: InfraContext, url: string, events: FailedEvent[]): Promise<void> {
  const { ChangeMessageVisibilityBatchCommand } = await sqsSdk();
  for (let i = 0; i < events.length; i += 10) {
    const batch = events.slice(i, i + 10);
    await ctx.clients.sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: url, Entries: batch.map((e, n) => ({ Id: String(n), ReceiptHandle: e.receiptHandle, VisibilityTimeout: 0 })) }));
  }
}

/**
 * Processes one failed event again — a synchronous invoke of image-processor with the original event — and
 * deletes its message only when that succeeded; a failure leaves it in the queue for the next run.
 */
export async function retryFailedEvent(ctx: InfraContext, url: string, event: FailedEvent): Promise<void> {
  if (event.payload === undefined) throw new ClinicaError('usage', 'not a Lambda failure record (no requestPayload): left in the queue');
  const { InvokeCommand } = await import('@aws-sdk/client-lambda');
  const { DeleteMessageCommand } = await sqsSdk();
  // a synchronous invoke runs as long as the function may (120 s): no 40 s call deadline
  const lambda = await lambdaClient({ ...ctx.target, callDeadlineMs: false });
  const out = await lambda.send(new InvokeCommand({ FunctionName: ctx.names.imageProcessorFunction, InvocationType: 'RequestResponse', Payload: Buffer.from(JSON.stringify(event.payload)) }));
  if (out.FunctionError) {
    let message = out.FunctionError;
    try {
      message = (JSON.parse(Buffer.from(out.Payload ?? []).toString('utf8')) as { errorMessage?: string }).errorMessage ?? message;
    } catch {
      /* not JSON: the error kind is all there is */
    }
    throw new ClinicaError('internal', `image-processor failed again: ${message}`);
  }
  await ctx.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: event.receiptHandle }));
}
