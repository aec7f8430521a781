/**
 * Uploaded images → the image-processor: ObjectCreated notifications on the data bucket for originals only
 * (prefix images/, one configuration per suffix original.jpg|png|tif|webp — the processor's own outputs never
 * invoke it) and the Lambda permission that lets S3 (for this bucket and account only) invoke the function.
 * Other notification targets someone configured on the bucket are kept. This statement is the only one the
 * function's resource policy may hold (its FunctionSpec declares it; any other is drift, see lambdas.ts).
 */
import type { NotificationConfiguration, LambdaFunctionConfiguration } from '@aws-sdk/client-s3';
import { s3Sdk } from '../aws/clients.js';
import { awsCall, isAwsError, httpStatus, type InfraContext } from './context.js';
import { arn } from './names.js';
import { step, type Change, type Step } from './plan.js';
import { resource } from './resource.js';
import type { BucketRead } from './s3-bucket.js';
import { showPrincipal, type FunctionState } from './lambdas.js';
import { retryIam } from './retry.js';

export const EVENT_ID = 'clinica-originals';
export const PERMISSION_ID = 'clinica-s3-originals';
export const IMAGES_PREFIX = 'images/';
/**
 * The file names of originals, images/{patient}/{image}/original.<ext> (src/clinic/images.ts originalKey;
 * test/infra/events.test.ts checks the two agree).
 */
export const ORIGINAL_SUFFIXES = ['original.jpg', 'original.png', 'original.tif', 'original.webp'] as const;
const S3_PRINCIPAL = 's3.amazonaws.com';

export interface EventsState {
  /** the Lambda permission statement for S3, if present */
  permission?: { sourceArn?: string; sourceAccount?: string; principal?: string; action?: string };
  notification?: NotificationConfiguration;
  bucketExists: boolean;
  functionExists: boolean;
}

/** The S3 permission from the function's resource policy (read with the function), and the bucket's notification. */
export async function readEvents(ctx: InfraContext, bucketExists: boolean, fn: FunctionState): Promise<EventsState> {
  return awsCall(ctx, 'reading the image upload notification', async () => {
    const st = fn.statements.find((s) => s.Sid === PERMISSION_ID);
    const permission: EventsState['permission'] = st && {
      sourceArn: st.Condition?.ArnLike?.['AWS:SourceArn'],
      sourceAccount: st.Condition?.StringEquals?.['AWS:SourceAccount'],
      principal: showPrincipal(st.Principal),
      action: [st.Action].flat().join(','),
    };
    let notification: NotificationConfiguration | undefined;
    if (bucketExists) {
      const { GetBucketNotificationConfigurationCommand } = await s3Sdk();
      try {
        const { $metadata: _m, ...rest } = await ctx.clients.s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: ctx.names.dataBucket }));
        notification = rest;
      } catch (err) {
        if (httpStatus(err) !== 404 && !isAwsError(err, 'NotImplemented')) throw err;
      }
    }
    return { permission, notification, bucketExists, functionExists: fn.exists };
  });
}

/**
 * One configuration per kind of original: prefix images/, suffix original.<ext> — so the derivatives, records
 * and markers the processor writes under images/ never invoke it (each such invocation is billed). The four
 * suffixes do not overlap, which S3 requires of configurations on the same event.
 */
function ours(ctx: InfraContext): LambdaFunctionConfiguration[] {
  const fnArn = arn.function(ctx.arns, ctx.names.imageProcessorFunction);
  return ORIGINAL_SUFFIXES.map((suffix) => ({
    Id: `${EVENT_ID}-${suffix.split('.').pop()}`,
    LambdaFunctionArn: fnArn,
    Events: ['s3:ObjectCreated:*'],
    Filter: {
      Key: {
        FilterRules: [
          { Name: 'prefix', Value: IMAGES_PREFIX },
          { Name: 'suffix', Value: suffix },
        ],
      },
    },
  }));
}

/** A configuration in a comparable form: S3 answers "Prefix"/"Suffix" for the rule names it was given in lower case. */
function shape(c: LambdaFunctionConfiguration): string {
  const rules = (c.Filter?.Key?.FilterRules ?? []).map((r) => `${(r.Name ?? '').toLowerCase()}=${r.Value ?? ''}`).sort();
  return JSON.stringify([c.LambdaFunctionArn, [...(c.Events ?? [])].sort(), rules]);
}

/** Whether the function's configurations on the bucket are exactly clinica's (ids aside: AWS may keep or renumber them). */
function notificationMatches(actual: LambdaFunctionConfiguration[], want: LambdaFunctionConfiguration[]): boolean {
  const fnArn = want[0]!.LambdaFunctionArn;
  const have = actual.filter((c) => c.LambdaFunctionArn === fnArn).map(shape).sort();
  return JSON.stringify(have) === JSON.stringify(want.map(shape).sort());
}

/** The bucket's notification configuration without clinica's entry (what others configured). */
function others(ctx: InfraContext, n: NotificationConfiguration | undefined): NotificationConfiguration {
  const fnArn = arn.function(ctx.arns, ctx.names.imageProcessorFunction);
  return {
    TopicConfigurations: n?.TopicConfigurations ?? [],
    QueueConfigurations: n?.QueueConfigurations ?? [],
    LambdaFunctionConfigurations: (n?.LambdaFunctionConfigurations ?? []).filter((c) => !c.Id?.startsWith(EVENT_ID) && c.LambdaFunctionArn !== fnArn),
    ...(n?.EventBridgeConfiguration ? { EventBridgeConfiguration: n.EventBridgeConfiguration } : {}),
  };
}

export async function planEvents(ctx: InfraContext, state: EventsState): Promise<Step> {
  const fn = ctx.names.imageProcessorFunction;
  const bucket = ctx.names.dataBucket;
  const bucketArn = arn.bucket(ctx.arns, bucket);
  const want = ours(ctx);
  const p = state.permission;
  const permissionOk = p?.sourceArn === bucketArn && p?.sourceAccount === ctx.arns.account && p?.principal === S3_PRINCIPAL && p?.action === 'lambda:InvokeFunction';
  const configs = state.notification?.LambdaFunctionConfigurations ?? [];
  const notificationOk = notificationMatches(configs, want);
  const changes: Change[] = [];
  if (!permissionOk) {
    changes.push({
      what: state.permission ? 'S3 invoke permission differs' : 'allow S3 (this bucket, this account) to invoke the function',
      apply: () =>
        awsCall(ctx, `allowing S3 to invoke ${fn}`, async () => {
          const { AddPermissionCommand, RemovePermissionCommand } = await import('@aws-sdk/client-lambda');
          if (state.permission) await ctx.clients.lambda.send(new RemovePermissionCommand({ FunctionName: fn, StatementId: PERMISSION_ID }));
          await ctx.clients.lambda.send(
            new AddPermissionCommand({
              FunctionName: fn,
              StatementId: PERMISSION_ID,
              Action: 'lambda:InvokeFunction',
              Principal: S3_PRINCIPAL,
              SourceArn: bucketArn,
              SourceAccount: ctx.arns.account,
            }),
          );
        }),
    });
  }
  if (!notificationOk) {
    changes.push({
      what: configs.some((c) => c.LambdaFunctionArn === want[0]!.LambdaFunctionArn)
        ? `notify ${fn} of new originals only (${ORIGINAL_SUFFIXES.join(', ')} under ${IMAGES_PREFIX}), not of every object`
        : `notify ${fn} of new originals (${ORIGINAL_SUFFIXES.join(', ')} under ${IMAGES_PREFIX})`,
      apply: () =>
        awsCall(ctx, `setting the notification on ${bucket}`, async () => {
          const { PutBucketNotificationConfigurationCommand } = await s3Sdk();
          const rest = others(ctx, state.notification);
          const config = { ...rest, LambdaFunctionConfigurations: [...(rest.LambdaFunctionConfigurations ?? []), ...want] };
          // S3 checks it may invoke the function; the permission just added takes a moment to be seen
          await retryIam(() => ctx.clients.s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: config })), {
            what: `the notification on ${bucket}`,
            sleep: ctx.sleep,
          });
        }),
    });
  }
  const exists = Boolean(state.permission) || configs.some((c) => c.LambdaFunctionArn === want[0]!.LambdaFunctionArn);
  return step({
    id: 'image-events',
    component: 'image-processor',
    kind: 'S3 → Lambda events',
    name: `${bucket}/${IMAGES_PREFIX} → ${fn}`,
    exists,
    changes,
    createWhy: `not wired: S3 permission + ObjectCreated notification on ${IMAGES_PREFIX}…/${ORIGINAL_SUFFIXES.join('|')}`,
  });
}

/** Destroy: with the data bucket kept, take clinica's entry out of its notification configuration. */
export function destroyEventsStep(ctx: InfraContext, state: EventsState, bucketDeleted: boolean): Step | undefined {
  const fnArn = arn.function(ctx.arns, ctx.names.imageProcessorFunction);
  const present = (state.notification?.LambdaFunctionConfigurations ?? []).some((c) => c.LambdaFunctionArn === fnArn || c.Id?.startsWith(EVENT_ID));
  const base = { id: 'image-events', component: 'image-processor' as const, kind: 'S3 → Lambda events', name: `${ctx.names.dataBucket}/${IMAGES_PREFIX}` };
  // deleted with the data bucket: not a step, and never listed among what destroy kept
  if (!present || bucketDeleted) return undefined;
  return {
    ...base,
    action: 'delete',
    why: 'stage destroyed (the data bucket stays)',
    drift: false,
    run: () =>
      awsCall(ctx, `removing the notification on ${ctx.names.dataBucket}`, async () => {
        const { PutBucketNotificationConfigurationCommand } = await s3Sdk();
        await ctx.clients.s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: ctx.names.dataBucket, NotificationConfiguration: others(ctx, state.notification) }));
      }),
  };
}

// --- the resource shape ---

/** The S3 → image-processor wiring; it lives in the data bucket, so destroy touches it only when that bucket is ours. */
export const imageEvents = resource({
  id: 'image-events',
  async read(ctx, stage) {
    const [data, fn] = await Promise.all([stage.state<BucketRead>('data-bucket'), stage.state<FunctionState>('lambda:image-processor')]);
    return readEvents(ctx, data.state.exists, fn);
  },
  plan: planEvents,
  destroy: (ctx, state, stage) => (stage.ours('data-bucket') ? destroyEventsStep(ctx, state, stage.deletePatientData) : undefined),
});
