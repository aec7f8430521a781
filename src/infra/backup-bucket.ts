/**
 * The backup copy out of reach: a bucket in a second region (aws.backupRegion, default backupRegionFor(region))
 * — or aws.backupBucket, an existing bucket in another AWS account — that the data bucket replicates to.
 *
 * The bucket: created with Object Lock, default retention GOVERNANCE for aws.backupRetentionDays (400), so no
 * version can be deleted or overwritten before then by anyone without s3:BypassGovernanceRetention (which the
 * operator's policy in docs/aws.md does not grant, and no clinica role has); versioning (Object Lock needs it),
 * Block Public Access all four on, SSE-S3 (SSE-KMS with aws.backupKmsKeyId), a TLS-only policy. Destroy keeps
 * it unless --delete-patient-data, and even then only what retention allows goes (the locked versions stay
 * until their retention ends).
 *
 * Replication: a role trusted by s3.amazonaws.com only, with the least privilege S3 replication needs (read the
 * source's configuration and versions; ReplicateObject/ReplicateTags on the backup — not ReplicateDelete), and
 * one rule on the data bucket: every object, delete markers NOT replicated (a delete in the data bucket, or a
 * ransomware script's, never reaches the backup), replicas in STANDARD_IA.
 *
 * SSE-KMS (aws.kmsKeyId on the data bucket): S3 skips KMS-encrypted objects unless the rule selects them and
 * names a key in the backup's region to re-encrypt the replicas with — aws.backupKmsKeyId, which the clinic
 * makes and owns like aws.kmsKeyId (a key protecting 20 years of records is not one a tool should create or
 * schedule for deletion on its own). The role may then decrypt with the data key only through S3 in the data
 * bucket's region for that bucket's objects, and encrypt with the backup key only through S3 in the backup's
 * region for the backup's objects.
 */
import type { ReplicationConfiguration, ReplicationRule, S3Client } from '@aws-sdk/client-s3';
import { s3Client, s3Sdk } from '../aws/clients.js';
import type { ResolvedConfig } from '../config/load.js';
import { ClinicaError } from '../errors.js';
import { awsCall, errorName, httpStatus, isAwsError, type InfraContext } from './context.js';
import { ALL_BLOCKED, tlsOnlyPolicy } from './data-bucket.js';
import { arn, backupLocation, kmsKeyScope } from './names.js';
import { deleteStep, keepStep, step, type Change } from './plan.js';
import { policy, type PolicyDocument, type Statement } from './policy-document.js';
import { resource } from './resource.js';
import { count } from '../plural.js';
import {
  bucketResource,
  encryptionAspect,
  policyAspect,
  publicAccessAspect,
  tagsAspect,
  versioningAspect,
  type Aspect,
  type BucketRead,
} from './s3-bucket.js';

export const DEFAULT_BACKUP_RETENTION_DAYS = 400;
export const REPLICATION_RULE_ID = 'clinica-backup';

export const backupRetentionDays = (ctx: InfraContext) => ctx.config.aws.backupRetentionDays ?? DEFAULT_BACKUP_RETENTION_DAYS;

/**
 * The backup's KMS key as a full key ARN (S3 is told the ARN: a bare id or alias would be resolved in the
 * writer's account), or undefined when the backup uses SSE-S3.
 */
export function replicaKeyArn(ctx: InfraContext): string | undefined {
  const key = ctx.config.aws.backupKmsKeyId;
  return key ? arn.kmsKey({ ...ctx.arns, region: backupLocation(ctx.config).region }, key) : undefined;
}

/**
 * The backup key's settings, checked before the stage is read (deploy and status; destroy needs no key): with
 * aws.kmsKeyId the backup needs a key of its own region, or S3 would silently leave every KMS-encrypted record
 * out of it.
 */
export function checkBackupKey(config: Pick<ResolvedConfig, 'names' | 'stage' | 'aws'>): void {
  const { region, external } = backupLocation(config);
  const key = config.aws.backupKmsKeyId;
  if (!key) {
    if (!config.aws.kmsKeyId) return;
    throw new ClinicaError('config', `aws.kmsKeyId is set but aws.backupKmsKeyId is not: S3 copies KMS-encrypted objects to the backup only with a KMS key in ${region}`, {
      field: 'aws.backupKmsKeyId',
      hint: `create a symmetric KMS key in ${region} and set its ARN as aws.backupKmsKeyId (docs/aws.md, "The backup with SSE-KMS")`,
    });
  }
  const keyRegion = key.startsWith('arn:') ? key.split(':')[3] : undefined;
  if (keyRegion && keyRegion !== region) {
    throw new ClinicaError('config', `aws.backupKmsKeyId is a key in ${keyRegion}, but the backup bucket is in ${region}: S3 encrypts replicas only with a key of the backup's region`, {
      field: 'aws.backupKmsKeyId',
      hint: `use a key of ${region}, or set aws.backupRegion to "${keyRegion}"`,
    });
  }
  if (external && !keyRegion) {
    throw new ClinicaError('config', 'aws.backupKmsKeyId must be a key ARN with aws.backupBucket: the key belongs to the backup account, and a bare id would name one of this account', {
      field: 'aws.backupKmsKeyId',
      hint: 'ask the backup account\'s owner for the key\'s ARN ("arn:aws:kms:REGION:ACCOUNT:key/…")',
    });
  }
}

/** The S3 client and ARNs of the backup's region (the same endpoint when one is set). */
const backupClients = new WeakMap<InfraContext, Promise<S3Client>>();
export async function backupContext(ctx: InfraContext): Promise<InfraContext> {
  const region = backupLocation(ctx.config).region;
  let client = backupClients.get(ctx);
  if (!client) backupClients.set(ctx, (client = s3Client({ ...ctx.target, region })));
  return { ...ctx, clients: { ...ctx.clients, s3: await client }, arns: { ...ctx.arns, region } };
}

export interface ObjectLock {
  enabled: boolean;
  mode?: string;
  days?: number;
}

export function objectLockAspect(days: number): Aspect<ObjectLock> {
  const want: ObjectLock = { enabled: true, mode: 'GOVERNANCE', days };
  return {
    name: 'Object Lock',
    want,
    async read(s3, bucket) {
      const { GetObjectLockConfigurationCommand } = await s3Sdk();
      try {
        const out = await s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket }));
        const c = out.ObjectLockConfiguration;
        const retention = c?.Rule?.DefaultRetention;
        return { enabled: c?.ObjectLockEnabled === 'Enabled', mode: retention?.Mode, days: retention?.Days };
      } catch (err) {
        if (isAwsError(err, 'ObjectLockConfigurationNotFoundError')) return undefined;
        throw err;
      }
    },
    same: (a) => !!a && a.enabled && a.mode === want.mode && a.days === want.days,
    show: (v) => (!v?.enabled ? 'off' : v.mode ? `${v.mode.toLowerCase()}, ${v.days} days` : 'on, no default retention'),
    async apply(s3, bucket) {
      const { PutObjectLockConfigurationCommand } = await s3Sdk();
      await s3.send(
        new PutObjectLockConfigurationCommand({
          Bucket: bucket,
          ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: days } } },
        }),
      );
    },
  };
}

/** In apply order: private and encrypted right after creation, as the data bucket. */
export function backupBucketAspects(ctx: InfraContext): Aspect[] {
  const bucket = backupLocation(ctx.config).bucket;
  return [
    publicAccessAspect(ALL_BLOCKED),
    encryptionAspect(replicaKeyArn(ctx)),
    tagsAspect(ctx.tags('data')),
    versioningAspect(),
    objectLockAspect(backupRetentionDays(ctx)),
    policyAspect(tlsOnlyPolicy(ctx, bucket), 'TLS only'),
  ] as Aspect[];
}

const bucketShape = bucketResource({
  id: 'backup-bucket',
  component: 'data',
  bucket: (ctx) => backupLocation(ctx.config).bucket,
  aspects: backupBucketAspects,
  deleteWhy: 'the backup',
  objectLock: true,
});

interface BackupState {
  /** aws.backupBucket: another account's bucket, not managed here */
  external: boolean;
  read?: BucketRead;
  bctx?: InfraContext;
}

/**
 * Emptying the backup on destroy --delete-patient-data: every version and delete marker whose retention has
 * ended is deleted; the locked ones are refused by S3 (AccessDenied) and stay. The bucket itself is deleted only
 * when nothing is left. Returns how many were deleted and how many are still locked.
 */
export async function emptyBackup(s3: S3Client, bucket: string): Promise<{ deleted: number; locked: number }> {
  const { ListObjectVersionsCommand, DeleteObjectsCommand, DeleteBucketCommand, DeleteBucketPolicyCommand } = await s3Sdk();
  await s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
  let deleted = 0;
  let locked = 0;
  let KeyMarker: string | undefined;
  let VersionIdMarker: string | undefined;
  do {
    const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, KeyMarker, VersionIdMarker }));
    const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].filter((v) => v.Key).map((v) => ({ Key: v.Key!, VersionId: v.VersionId }));
    for (let i = 0; i < objects.length; i += 1000) {
      const batch = objects.slice(i, i + 1000);
      const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
      const refused = out.Errors ?? [];
      const other = refused.find((e) => e.Code !== 'AccessDenied');
      if (other) throw new Error(`could not delete ${other.Key} from ${bucket}: ${other.Code} ${other.Message ?? ''}`.trim());
      locked += refused.length;
      deleted += batch.length - refused.length;
    }
    [KeyMarker, VersionIdMarker] = page.IsTruncated ? [page.NextKeyMarker, page.NextVersionIdMarker] : [undefined, undefined];
  } while (KeyMarker);
  if (!locked) await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  return { deleted, locked };
}

export const backupBucket = resource<BackupState>({
  id: 'backup-bucket',
  async read(ctx, stage) {
    if (backupLocation(ctx.config).external) return { external: true };
    const bctx = await backupContext(ctx);
    return { external: false, read: await bucketShape.read(bctx, stage), bctx };
  },
  plan(_ctx, state, stage) {
    if (state.external) return undefined; // another account's bucket: its owner sets it up (docs/aws.md)
    return bucketShape.plan(state.bctx!, state.read!, stage);
  },
  destroy(ctx, state, stage) {
    if (state.external || !state.read?.state.exists) return undefined;
    const { bucket, region } = backupLocation(ctx.config);
    const days = backupRetentionDays(ctx);
    const base = { id: 'backup-bucket', component: 'data' as const, kind: 'S3 bucket', name: `${bucket} (${region})` };
    if (!stage.deletePatientData) {
      return keepStep({ ...base, why: `kept: the backup of the patient data (--delete-patient-data deletes what Object Lock allows)` });
    }
    return deleteStep(
      { ...base, why: `PATIENT DATA (backup): versions past their ${days}-day Object Lock retention are deleted; locked ones stay until it ends` },
      () =>
        awsCall(ctx, `emptying the backup bucket ${bucket}`, async () => {
          const { deleted, locked } = await emptyBackup(state.bctx!.clients.s3, bucket);
          stage.progress?.({ done: deleted, item: { doing: 'empty', bucket } });
          if (locked) {
            ctx.log.warn(
              `${bucket}: ${count(locked, 'version')} under Object Lock (governance, ${days} days from when each was written) kept, so the bucket stays; ` +
                'run `clinica destroy --delete-patient-data` again once their retention has ended',
            );
          }
        }),
    );
  },
  owner: (ctx, state) =>
    state.external
      ? { what: `backup bucket ${backupLocation(ctx.config).bucket} (another account's)` }
      : bucketShape.owner!(state.bctx ?? ctx, state.read!),
});

// --- replication ---

/**
 * The replication role's policy, statement by statement: what S3 needs to read the source's configuration and
 * object versions, and to write replicas (objects and their tags) into the backup. No s3:ReplicateDelete: delete
 * markers are not replicated, so the role needs no delete of any kind. With a backup key, the two KMS statements
 * of AWS's "replicating encrypted objects": decrypt the source through S3 in its region for the data bucket's
 * objects, encrypt the replicas through S3 in the backup's region for the backup's objects. The encryption
 * context is the object's ARN, or the bucket's when S3 Bucket Keys are on (clinica turns them on): both match.
 */
export function replicationPolicy(ctx: InfraContext): PolicyDocument {
  const data = ctx.names.dataBucket;
  const backup = backupLocation(ctx.config).bucket;
  const statements: Statement[] = [
    { Sid: 'ReadSourceConfiguration', Effect: 'Allow', Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'], Resource: arn.bucket(ctx.arns, data) },
    {
      Sid: 'ReadSourceVersions',
      Effect: 'Allow',
      Action: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
      Resource: arn.objects(ctx.arns, data),
    },
    { Sid: 'WriteReplicas', Effect: 'Allow', Action: ['s3:ReplicateObject', 's3:ReplicateTags'], Resource: arn.objects(ctx.arns, backup) },
  ];
  const replicaKey = replicaKeyArn(ctx);
  if (!replicaKey) return policy(...statements);
  const through = (region: string, bucket: string) => ({
    StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` },
    StringLike: { 'kms:EncryptionContext:aws:s3:arn': [arn.bucket(ctx.arns, bucket), arn.objects(ctx.arns, bucket)] },
  });
  const sourceKey = ctx.config.aws.kmsKeyId;
  if (sourceKey) {
    const scope = kmsKeyScope(ctx.arns, sourceKey);
    statements.push({ Sid: 'DecryptSourceObjects', Effect: 'Allow', Action: 'kms:Decrypt', Resource: scope.Resource, Condition: { ...through(ctx.arns.region, data), ...scope.Condition } });
  }
  statements.push({
    Sid: 'EncryptReplicas',
    Effect: 'Allow',
    Action: ['kms:Encrypt', 'kms:GenerateDataKey'],
    Resource: replicaKey,
    Condition: through(backupLocation(ctx.config).region, backup),
  });
  return policy(...statements);
}

export function desiredReplication(ctx: InfraContext): ReplicationConfiguration {
  const replicaKey = replicaKeyArn(ctx);
  return {
    Role: arn.role(ctx.arns, ctx.names.replicationRole),
    Rules: [
      {
        ID: REPLICATION_RULE_ID,
        Priority: 1,
        Status: 'Enabled',
        Filter: { Prefix: '' },
        DeleteMarkerReplication: { Status: 'Disabled' },
        ...(replicaKey ? { SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } } } : {}),
        Destination: {
          Bucket: arn.bucket(ctx.arns, backupLocation(ctx.config).bucket),
          StorageClass: 'STANDARD_IA',
          ...(replicaKey ? { EncryptionConfiguration: { ReplicaKmsKeyID: replicaKey } } : {}),
        },
      },
    ],
  };
}

/** The parts of a replication configuration clinica sets, comparable. */
export const canonicalReplication = (c: ReplicationConfiguration | undefined) =>
  JSON.stringify({
    role: c?.Role ?? null,
    rules: (c?.Rules ?? []).map((r) => ({
      id: r.ID ?? '',
      status: r.Status,
      priority: r.Priority ?? null,
      prefix: r.Filter?.Prefix ?? r.Prefix ?? '',
      filtered: Boolean(r.Filter?.Tag || r.Filter?.And),
      deleteMarkers: r.DeleteMarkerReplication?.Status ?? null,
      bucket: r.Destination?.Bucket ?? null,
      storageClass: r.Destination?.StorageClass ?? null,
      account: r.Destination?.Account ?? null,
      sseKms: r.SourceSelectionCriteria?.SseKmsEncryptedObjects?.Status ?? null,
      replicaKey: r.Destination?.EncryptionConfiguration?.ReplicaKmsKeyID ?? null,
    })),
  });

const showReplication = (c: ReplicationConfiguration | undefined, ctx: InfraContext) => {
  if (!c?.Rules?.length) return 'none';
  const kmsObjects = (rule: ReplicationRule) =>
    rule.SourceSelectionCriteria?.SseKmsEncryptedObjects?.Status === 'Enabled'
      ? `, SSE-KMS objects re-encrypted with ${rule.Destination?.EncryptionConfiguration?.ReplicaKmsKeyID ?? '?'}`
      : replicaKeyArn(ctx)
        ? ', SSE-KMS objects NOT replicated'
        : '';
  if (canonicalReplication(c) === canonicalReplication(desiredReplication(ctx))) {
    return `to ${backupLocation(ctx.config).bucket}, delete markers not replicated${kmsObjects(c.Rules[0]!)}`;
  }
  const rule = c.Rules[0]!;
  return `changed by hand (${count(c.Rules.length, 'rule')}; delete markers ${rule.DeleteMarkerReplication?.Status === 'Enabled' ? 'REPLICATED' : 'not replicated'}, to ${rule.Destination?.Bucket ?? '?'}${kmsObjects(rule)})`;
};

export interface ReplicationState {
  dataBucketExists: boolean;
  config?: ReplicationConfiguration;
}

export async function readReplication(ctx: InfraContext): Promise<ReplicationState> {
  const { GetBucketReplicationCommand } = await s3Sdk();
  return awsCall(ctx, `reading the replication of ${ctx.names.dataBucket}`, async () => {
    try {
      const out = await ctx.clients.s3.send(new GetBucketReplicationCommand({ Bucket: ctx.names.dataBucket }));
      return { dataBucketExists: true, config: out.ReplicationConfiguration };
    } catch (err) {
      if (isAwsError(err, 'ReplicationConfigurationNotFoundError')) return { dataBucketExists: true };
      if (isAwsError(err, 'NoSuchBucket') || (httpStatus(err) === 404 && errorName(err) !== 'ReplicationConfigurationNotFoundError')) return { dataBucketExists: false };
      throw err;
    }
  });
}

export const backupReplication = resource<ReplicationState>({
  id: 'backup-replication',
  read: (ctx) => readReplication(ctx),
  plan(ctx, state) {
    const want = desiredReplication(ctx);
    const same = canonicalReplication(state.config) === canonicalReplication(want);
    const changes: Change[] = same
      ? []
      : [
          {
            what: `replication ${showReplication(state.config, ctx)} → ${showReplication(want, ctx)}`,
            apply: () =>
              awsCall(ctx, `setting the replication of ${ctx.names.dataBucket}`, async () => {
                const { PutBucketReplicationCommand } = await s3Sdk();
                await ctx.clients.s3.send(new PutBucketReplicationCommand({ Bucket: ctx.names.dataBucket, ReplicationConfiguration: want }));
              }),
          },
        ];
    return step({
      id: 'backup-replication',
      component: 'data',
      kind: 'S3 replication',
      name: `${ctx.names.dataBucket} → ${backupLocation(ctx.config).bucket}`,
      exists: Boolean(state.config),
      changes,
      createWhy: `not set: replicate every new object version to the backup (delete markers not replicated${replicaKeyArn(ctx) ? '; SSE-KMS objects re-encrypted with the backup key' : ''})`,
    });
  },
  destroy(ctx, state, stage) {
    // a setting of the data bucket: touched only when that bucket is this stage's
    if (!state.config || !stage.ours('data-bucket')) return undefined;
    return deleteStep(
      { id: 'backup-replication', component: 'data', kind: 'S3 replication', name: `${ctx.names.dataBucket} → ${backupLocation(ctx.config).bucket}`, why: 'stage destroyed (its role goes too)' },
      () =>
        awsCall(ctx, `removing the replication of ${ctx.names.dataBucket}`, async () => {
          const { DeleteBucketReplicationCommand } = await s3Sdk();
          await ctx.clients.s3.send(new DeleteBucketReplicationCommand({ Bucket: ctx.names.dataBucket }));
        }),
    );
  },
});
