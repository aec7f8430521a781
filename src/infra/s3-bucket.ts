/**
 * What the buckets share: existence (HeadBucket), creation, and "aspects" — one per bucket setting
 * (public access block, encryption, versioning, policy, CORS, lifecycle, website, tags, object ownership), each able to read the
 * actual value, compare it with the desired one, say what differs, and put the desired one. The data and site
 * bucket modules are lists of aspects; the plan step and the resource shape are built here.
 */
import type { S3Client, CORSRule, LifecycleRule } from '@aws-sdk/client-s3';
import { s3Sdk } from '../aws/clients.js';
import { ClinicaError } from '../errors.js';
import { awsCall, errorName, isAwsError, httpStatus, type InfraContext } from './context.js';
import { S3_SETTLE_MS, retryIam } from './retry.js';
import { fromTagList, foreignOwner, missingTags, toTagList, type Component } from './names.js';
import { deleteStep, keepStep, step, type Change, type Step } from './plan.js';
import { canonicalPolicy, samePolicy, type PolicyDocument } from './policy-document.js';
import { resource, type Resource, type StageDestroy } from './resource.js';

export interface Aspect<T = unknown> {
  name: string;
  read(s3: S3Client, bucket: string): Promise<T | undefined>;
  want: T;
  same(actual: T | undefined): boolean;
  show(value: T | undefined): string;
  apply(s3: S3Client, bucket: string): Promise<void>;
  /**
   * S3 checks this setting against the bucket's public access block: right after that block changed, S3 may
   * still answer AccessDenied for a while (the bucket policy), so such a denial is retried.
   */
  checkedAgainstPublicAccess?: boolean;
  /**
   * A one-line error for a failure of apply that S3's own words do not make clear (the site's public policy);
   * waitedSeconds > 0 when the call was retried while S3 settled.
   */
  explainFailure?(err: unknown, bucket: string, waitedSeconds: number): ClinicaError | undefined;
  /** what S3 gives a new bucket without being asked (then creating the bucket puts nothing) */
  onNewBucket?: T;
}

/** The "this setting is not there" answers of the Get* calls. */
const notSet = new Set([
  'NoSuchPublicAccessBlockConfiguration',
  'ServerSideEncryptionConfigurationNotFoundError',
  'NoSuchBucketPolicy',
  'NoSuchCORSConfiguration',
  'NoSuchLifecycleConfiguration',
  'NoSuchWebsiteConfiguration',
  'NoSuchTagSet',
  'NoSuchTagSetError',
  'OwnershipControlsNotFoundError',
]);

async function readOrUndefined<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (notSet.has(errorName(err) ?? '') || (httpStatus(err) === 404 && !isAwsError(err, 'NoSuchBucket'))) return undefined;
    throw err;
  }
}

// --- aspects ---

export interface PublicAccess {
  BlockPublicAcls: boolean;
  IgnorePublicAcls: boolean;
  BlockPublicPolicy: boolean;
  RestrictPublicBuckets: boolean;
}

const showAccess = (v: PublicAccess | undefined) =>
  !v ? 'none' : (Object.entries(v) as [string, boolean][]).every(([, on]) => on) ? 'all four on' : Object.entries(v).map(([k, on]) => `${k} ${on ? 'on' : 'off'}`).join(', ');

export const PUBLIC_ACCESS = 'public access block';

export function publicAccessAspect(want: PublicAccess): Aspect<PublicAccess> {
  return {
    name: PUBLIC_ACCESS,
    want,
    async read(s3, bucket) {
      const { GetPublicAccessBlockCommand } = await s3Sdk();
      const out = await readOrUndefined(() => s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })));
      const c = out?.PublicAccessBlockConfiguration;
      return c && { BlockPublicAcls: !!c.BlockPublicAcls, IgnorePublicAcls: !!c.IgnorePublicAcls, BlockPublicPolicy: !!c.BlockPublicPolicy, RestrictPublicBuckets: !!c.RestrictPublicBuckets };
    },
    same: (a) => !!a && (Object.keys(want) as (keyof PublicAccess)[]).every((k) => a[k] === want[k]),
    show: showAccess,
    async apply(s3, bucket) {
      const { PutPublicAccessBlockCommand } = await s3Sdk();
      await s3.send(new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: want }));
    },
  };
}

export const OBJECT_OWNERSHIP = 'BucketOwnerEnforced';

/**
 * Object ownership: BucketOwnerEnforced — ACLs disabled, every object the bucket owner's, so access is decided
 * by the policies alone (an ACL granted by hand, or by an uploader, cannot open an object). What S3 gives a new
 * bucket; changed by hand (ObjectWriter, BucketOwnerPreferred) it is drift.
 */
export function ownershipAspect(): Aspect<string> {
  return {
    name: 'object ownership',
    want: OBJECT_OWNERSHIP,
    onNewBucket: OBJECT_OWNERSHIP,
    async read(s3, bucket) {
      const { GetBucketOwnershipControlsCommand } = await s3Sdk();
      const out = await readOrUndefined(() => s3.send(new GetBucketOwnershipControlsCommand({ Bucket: bucket })));
      return out?.OwnershipControls?.Rules?.[0]?.ObjectOwnership;
    },
    same: (a) => a === OBJECT_OWNERSHIP,
    show: (v) => v ?? 'none (ACLs on)',
    async apply(s3, bucket) {
      const { PutBucketOwnershipControlsCommand } = await s3Sdk();
      await s3.send(new PutBucketOwnershipControlsCommand({ Bucket: bucket, OwnershipControls: { Rules: [{ ObjectOwnership: OBJECT_OWNERSHIP }] } }));
    },
  };
}

export interface Encryption {
  algorithm: 'AES256' | 'aws:kms';
  kmsKeyId?: string;
}

export function encryptionAspect(kmsKeyId: string | undefined): Aspect<Encryption> {
  const want: Encryption = kmsKeyId ? { algorithm: 'aws:kms', kmsKeyId } : { algorithm: 'AES256' };
  return {
    name: 'default encryption',
    want,
    async read(s3, bucket) {
      const { GetBucketEncryptionCommand } = await s3Sdk();
      const out = await readOrUndefined(() => s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })));
      const rule = out?.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault;
      if (!rule?.SSEAlgorithm) return undefined;
      return { algorithm: rule.SSEAlgorithm as Encryption['algorithm'], ...(rule.KMSMasterKeyID ? { kmsKeyId: rule.KMSMasterKeyID } : {}) };
    },
    same: (a) =>
      !!a && a.algorithm === want.algorithm && (want.algorithm === 'AES256' || (!!a.kmsKeyId && (a.kmsKeyId === want.kmsKeyId || a.kmsKeyId.endsWith(`/${want.kmsKeyId}`)))),
    show: (v) => (!v ? 'none' : v.algorithm === 'AES256' ? 'SSE-S3' : `SSE-KMS ${v.kmsKeyId ?? ''}`.trim()),
    async apply(s3, bucket) {
      const { PutBucketEncryptionCommand } = await s3Sdk();
      await s3.send(
        new PutBucketEncryptionCommand({
          Bucket: bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [
              want.algorithm === 'aws:kms'
                ? { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: want.kmsKeyId }, BucketKeyEnabled: true }
                : { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
        }),
      );
    },
  };
}

export function versioningAspect(): Aspect<string> {
  return {
    name: 'versioning',
    want: 'Enabled',
    async read(s3, bucket) {
      const { GetBucketVersioningCommand } = await s3Sdk();
      const out = await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }));
      return out.Status;
    },
    same: (a) => a === 'Enabled',
    show: (v) => v ?? 'never enabled',
    async apply(s3, bucket) {
      const { PutBucketVersioningCommand } = await s3Sdk();
      await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    },
  };
}

export function policyAspect(want: PolicyDocument, label: string): Aspect<unknown> {
  return {
    name: 'bucket policy',
    want,
    checkedAgainstPublicAccess: true,
    async read(s3, bucket) {
      const { GetBucketPolicyCommand } = await s3Sdk();
      const out = await readOrUndefined(() => s3.send(new GetBucketPolicyCommand({ Bucket: bucket })));
      return out?.Policy ? JSON.parse(out.Policy) : undefined;
    },
    same: (a) => samePolicy(a, want),
    show: (v) => (v === undefined ? 'none' : canonicalPolicy(v) === canonicalPolicy(want) ? label : 'changed by hand'),
    async apply(s3, bucket) {
      const { PutBucketPolicyCommand } = await s3Sdk();
      await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(want) }));
    },
  };
}

const canonicalCors = (rules: CORSRule[] | undefined) =>
  JSON.stringify(
    (rules ?? []).map((r) => ({
      AllowedHeaders: [...(r.AllowedHeaders ?? [])].sort(),
      AllowedMethods: [...(r.AllowedMethods ?? [])].sort(),
      AllowedOrigins: [...(r.AllowedOrigins ?? [])].sort(),
      ExposeHeaders: [...(r.ExposeHeaders ?? [])].sort(),
      MaxAgeSeconds: r.MaxAgeSeconds ?? null,
    })),
  );

export function corsAspect(want: CORSRule[]): Aspect<CORSRule[]> {
  return {
    name: 'CORS',
    want,
    async read(s3, bucket) {
      const { GetBucketCorsCommand } = await s3Sdk();
      const out = await readOrUndefined(() => s3.send(new GetBucketCorsCommand({ Bucket: bucket })));
      return out?.CORSRules;
    },
    same: (a) => !!a && canonicalCors(a) === canonicalCors(want),
    show: (v) => (!v ? 'none' : v.map((r) => `${(r.AllowedMethods ?? []).join('/')} from ${(r.AllowedOrigins ?? []).join(', ')}`).join('; ')),
    async apply(s3, bucket) {
      const { PutBucketCorsCommand } = await s3Sdk();
      await s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: want } }));
    },
  };
}

/** The parts of a lifecycle rule clinica sets, in a comparable form. */
const canonicalLifecycle = (rules: LifecycleRule[] | undefined) =>
  JSON.stringify(
    (rules ?? [])
      .map((r) => ({
        id: r.ID ?? '',
        status: r.Status,
        prefix: r.Filter?.Prefix ?? r.Prefix ?? '',
        noncurrentDays: r.NoncurrentVersionExpiration?.NoncurrentDays ?? null,
        abortDays: r.AbortIncompleteMultipartUpload?.DaysAfterInitiation ?? null,
        deleteMarkers: r.Expiration?.ExpiredObjectDeleteMarker ?? null,
      }))
      .sort((a, b) => a.id.localeCompare(b.id)),
  );

export function lifecycleAspect(want: LifecycleRule[]): Aspect<LifecycleRule[]> {
  return {
    name: 'lifecycle',
    want,
    async read(s3, bucket) {
      const { GetBucketLifecycleConfigurationCommand } = await s3Sdk();
      const out = await readOrUndefined(() => s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })));
      return out?.Rules;
    },
    same: (a) => !!a && canonicalLifecycle(a) === canonicalLifecycle(want),
    show: (v) =>
      !v ? 'none' : v.map((r) => (r.NoncurrentVersionExpiration ? `old versions expire after ${r.NoncurrentVersionExpiration.NoncurrentDays} days` : r.ID)).join('; '),
    async apply(s3, bucket) {
      const { PutBucketLifecycleConfigurationCommand } = await s3Sdk();
      await s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket: bucket, LifecycleConfiguration: { Rules: want } }));
    },
  };
}

export interface Website {
  index: string;
  error: string;
}

export function websiteAspect(want: Website): Aspect<Website> {
  return {
    name: 'website hosting',
    want,
    async read(s3, bucket) {
      const { GetBucketWebsiteCommand } = await s3Sdk();
      const out = await readOrUndefined(() => s3.send(new GetBucketWebsiteCommand({ Bucket: bucket })));
      return out?.IndexDocument?.Suffix ? { index: out.IndexDocument.Suffix, error: out.ErrorDocument?.Key ?? '' } : undefined;
    },
    same: (a) => !!a && a.index === want.index && a.error === want.error,
    show: (v) => (v ? `index ${v.index}, errors ${v.error || '(none)'}` : 'off'),
    async apply(s3, bucket) {
      const { PutBucketWebsiteCommand } = await s3Sdk();
      await s3.send(new PutBucketWebsiteCommand({ Bucket: bucket, WebsiteConfiguration: { IndexDocument: { Suffix: want.index }, ErrorDocument: { Key: want.error } } }));
    },
  };
}

/** No website endpoint (the site bucket behind CloudFront): one turned on by hand is removed. */
export function noWebsiteAspect(): Aspect<Website> {
  const website = websiteAspect({ index: '', error: '' });
  return {
    ...website,
    want: undefined as unknown as Website,
    same: (a) => a === undefined,
    show: (v) => (v ? website.show(v) : 'off'),
    async apply(s3, bucket) {
      const { DeleteBucketWebsiteCommand } = await s3Sdk();
      await s3.send(new DeleteBucketWebsiteCommand({ Bucket: bucket }));
    },
  };
}

/** Tags: clinica's three must be there; other tags someone added are kept (PutBucketTagging replaces all). */
export function tagsAspect(want: Record<string, string>): Aspect<Record<string, string>> {
  let others: Record<string, string> = {};
  return {
    name: 'tags',
    want,
    async read(s3, bucket) {
      const { GetBucketTaggingCommand } = await s3Sdk();
      const out = await readOrUndefined(() => s3.send(new GetBucketTaggingCommand({ Bucket: bucket })));
      const tags = fromTagList(out?.TagSet);
      others = Object.fromEntries(Object.entries(tags).filter(([k]) => !(k in want)));
      return out ? tags : undefined;
    },
    same: (a) => !!a && missingTags(a, want).length === 0,
    show: (v) => (v ? (missingTags(v, want).length ? `missing ${missingTags(v, want).join(', ')}` : 'tagged') : 'none'),
    async apply(s3, bucket) {
      const { PutBucketTaggingCommand } = await s3Sdk();
      await s3.send(new PutBucketTaggingCommand({ Bucket: bucket, Tagging: { TagSet: toTagList({ ...others, ...want }) } }));
    },
  };
}

// --- the bucket itself ---

export interface BucketState {
  exists: boolean;
  values: Map<string, unknown>;
}

/** HeadBucket: missing, ours, or a name someone else owns (S3 names are global). */
export async function bucketExists(ctx: InfraContext, bucket: string): Promise<boolean> {
  const { HeadBucketCommand } = await s3Sdk();
  try {
    const out = await ctx.clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    const region = (out as { BucketRegion?: string }).BucketRegion;
    if (region && region !== ctx.arns.region && !ctx.target.endpoint) {
      throw new ClinicaError('conflict', `bucket ${bucket} exists in ${region}, but this stage deploys to ${ctx.arns.region}`, {
        hint: 'set aws.region to the bucket\'s region, or aws.bucketPrefix to use new bucket names',
      });
    }
    return true;
  } catch (err) {
    const status = httpStatus(err);
    if (status === 404 || isAwsError(err, 'NotFound') || isAwsError(err, 'NoSuchBucket')) return false;
    if (status === 403 && !ctx.target.endpoint) {
      throw new ClinicaError('conflict', `the bucket name ${bucket} belongs to another AWS account (or this one may not read it)`, {
        hint: 'S3 bucket names are global: set aws.bucketPrefix in clinica.config.json to a name of your own',
        cause: err,
      });
    }
    throw err;
  }
}

export async function readBucket(ctx: InfraContext, bucket: string, aspects: Aspect[]): Promise<BucketState> {
  return awsCall(ctx, `reading bucket ${bucket}`, async () => {
    if (!(await bucketExists(ctx, bucket))) return { exists: false, values: new Map() };
    const values = await Promise.all(aspects.map(async (a) => [a.name, await a.read(ctx.clients.s3, bucket)] as const));
    return { exists: true, values: new Map(values) };
  });
}

/** objectLock: Object Lock enabled at creation (the backup bucket; it cannot be turned off afterwards). */
export async function createBucket(ctx: InfraContext, bucket: string, options: { objectLock?: boolean } = {}): Promise<void> {
  const { CreateBucketCommand } = await s3Sdk();
  const region = ctx.arns.region;
  try {
    await ctx.clients.s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ObjectOwnership: 'BucketOwnerEnforced',
        ...(options.objectLock ? { ObjectLockEnabledForBucket: true } : {}),
        ...(region !== 'us-east-1' ? { CreateBucketConfiguration: { LocationConstraint: region as never } } : {}),
      }),
    );
  } catch (err) {
    if (isAwsError(err, 'BucketAlreadyOwnedByYou')) return; // a previous run got this far
    // a re-run against an emulator may say "exists" for our own bucket: it is ours if we can see it
    if (isAwsError(err, 'BucketAlreadyExists') && (await bucketExists(ctx, bucket).catch(() => false))) return;
    if (isAwsError(err, 'BucketAlreadyExists')) {
      throw new ClinicaError('conflict', `the bucket name ${bucket} is taken by another AWS account`, {
        hint: 'set aws.bucketPrefix in clinica.config.json to a name of your own',
        cause: err,
      });
    }
    throw err;
  }
}

/**
 * Runs an S3 call that may meet a change S3 has not settled yet (a bucket just created answers NoSuchBucket
 * for a moment; a public access block just changed still denies the public policy): while `settling(err)`, it
 * is tried again on the S3_SETTLE_MS schedule (29 s in all). Still failing after that → `explain` may say why
 * in one line, else an "S3 had not settled" error. Errors that are not settling pass through at once.
 */
export async function untilS3Settles<T>(
  ctx: InfraContext,
  bucket: string,
  what: string,
  call: () => Promise<T>,
  settling: (err: unknown) => boolean,
  explain?: (err: unknown, waitedSeconds: number) => ClinicaError | undefined,
): Promise<T> {
  let waited = 0;
  try {
    return await retryIam(call, {
      what,
      sleep: ctx.sleep,
      delays: S3_SETTLE_MS,
      retryIf: settling,
      onRetry: (n, err) => ctx.log.info(`${bucket}: ${s3ErrorName(err)} right after a change, waiting for S3 to settle (attempt ${n + 1})`),
      exhausted: (err, seconds) => {
        waited = seconds;
        return err;
      },
    });
  } catch (err) {
    const explained = explain?.(err, waited);
    if (explained) throw explained;
    if (waited) {
      throw new ClinicaError('unavailable', `${what}: S3 still answered ${s3ErrorName(err)} after ${waited} s`, {
        hint: 'S3 had not settled yet — run `clinica deploy` again; it continues where it stopped',
        cause: err,
      });
    }
    throw err;
  }
}

/** S3's answer, also when the Store wrapped it in a ClinicaError (its cause). */
const s3ErrorName = (err: unknown): string | undefined => (err instanceof ClinicaError && err.cause ? errorName(err.cause) : errorName(err));

/** A bucket that does not exist (yet), as the SDK or the Store (a ClinicaError with the SDK error as cause) says it. */
export const isNoSuchBucket = (err: unknown): boolean => isAwsError(err, 'NoSuchBucket') || (err instanceof ClinicaError && isAwsError(err.cause, 'NoSuchBucket'));

export interface BucketStepSpec {
  id: string;
  component: Component;
  bucket: string;
  aspects: Aspect[];
  state: BucketState;
  /** created with Object Lock enabled */
  objectLock?: boolean;
}

/** The plan step for a bucket: create it and put every aspect, or put only the aspects that differ. */
export function bucketStep(ctx: InfraContext, spec: BucketStepSpec): Step {
  const { bucket, aspects, state } = spec;
  const tagged = state.values.get('tags') as Record<string, string> | undefined;
  const foreign = tagged && foreignOwner(tagged, ctx.tags(spec.component));
  if (foreign) {
    throw new ClinicaError('conflict', `bucket ${bucket} is tagged ${foreign}: it belongs to another clinic or stage`, {
      hint: 'set aws.bucketPrefix to use other bucket names',
    });
  }
  const created = !state.exists;
  let publicAccessChanged = false;
  const put = (a: Aspect): Change => ({
    what: `${a.name} ${a.show(state.values.get(a.name))} → ${a.show(a.want)}`,
    apply: () =>
      awsCall(ctx, `setting ${a.name} on ${bucket}`, async () => {
        // S3 is eventually consistent: a bucket just created may be "NoSuchBucket" to the next call, and a
        // public access block just changed may still deny the bucket policy — both settle within seconds
        const settling = (err: unknown) =>
          (created && isNoSuchBucket(err)) || (publicAccessChanged && !!a.checkedAgainstPublicAccess && isAwsError(err, 'AccessDenied'));
        await untilS3Settles(ctx, bucket, `setting ${a.name} on ${bucket}`, () => a.apply(ctx.clients.s3, bucket), settling, (err, waited) =>
          a.explainFailure?.(err, bucket, waited),
        );
        if (a.name === PUBLIC_ACCESS) publicAccessChanged = true;
      }),
  });
  const changes: Change[] = state.exists
    ? aspects.filter((a) => !a.same(state.values.get(a.name))).map(put)
    : [{ what: 'create', apply: () => awsCall(ctx, `creating bucket ${bucket}`, () => createBucket(ctx, bucket, { objectLock: spec.objectLock })) }, ...aspects.filter((a) => !a.same(a.onNewBucket)).map(put)]; // a new bucket has no website to remove
  return step({
    id: spec.id,
    component: spec.component,
    kind: 'S3 bucket',
    name: bucket,
    exists: state.exists,
    changes,
    createWhy: `does not exist: create with ${aspects.filter((a) => !a.same(a.onNewBucket)).map((a) => a.name).join(', ')}`,
  });
}

// --- emptying and deleting ---

/**
 * Deletes every object version and delete marker (a versioned bucket cannot be deleted otherwise), in batches
 * of ≤ 1000. Falls back to ListObjectsV2 where versions are not supported (emulators). Returns the count.
 */
export async function emptyBucket(s3: S3Client, bucket: string, options: { prefix?: string; onProgress?: (deleted: number) => void } = {}): Promise<number> {
  const { ListObjectVersionsCommand, ListObjectsV2Command, DeleteObjectsCommand } = await s3Sdk();
  let deleted = 0;
  const remove = async (objects: { Key: string; VersionId?: string }[]) => {
    for (let i = 0; i < objects.length; i += 1000) {
      const batch = objects.slice(i, i + 1000);
      const out = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch, Quiet: true } }));
      if (out.Errors?.length) {
        const e = out.Errors[0]!;
        throw new ClinicaError('internal', `could not delete ${e.Key} from ${bucket}: ${e.Code} ${e.Message ?? ''}`.trim());
      }
      deleted += batch.length;
      options.onProgress?.(deleted);
    }
  };
  let versioned = true;
  try {
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    do {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: options.prefix, KeyMarker, VersionIdMarker }));
      const objects = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]
        .filter((v) => v.Key)
        .map((v) => ({ Key: v.Key!, ...(v.VersionId && v.VersionId !== 'null' ? { VersionId: v.VersionId } : {}) }));
      await remove(objects);
      KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      VersionIdMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (KeyMarker);
  } catch (err) {
    const name = errorName(err);
    if (name !== 'NotImplemented' && name !== 'MethodNotAllowed' && httpStatus(err) !== 501 && httpStatus(err) !== 405) throw err;
    versioned = false;
  }
  if (!versioned) {
    let ContinuationToken: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: options.prefix, ContinuationToken }));
      // small batches: the local S3 server races cleaning up folders on large ones
      const keys = (page.Contents ?? []).filter((o) => o.Key).map((o) => ({ Key: o.Key! }));
      for (let i = 0; i < keys.length; i += 100) await remove(keys.slice(i, i + 100));
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }
  return deleted;
}

export async function deleteBucket(s3: S3Client, bucket: string, onProgress?: (deleted: number) => void): Promise<number> {
  const { DeleteBucketCommand } = await s3Sdk();
  const count = await emptyBucket(s3, bucket, { onProgress });
  try {
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (!isAwsError(err, 'NoSuchBucket') && httpStatus(err) !== 404) throw err;
  }
  return count;
}

// --- the resource shape ---

/** A bucket as read: its state and the aspects it was read for (all of them for deploy, only tags for destroy). */
export interface BucketRead {
  state: BucketState;
  aspects: Aspect[];
}

export interface BucketResourceSpec {
  id: string;
  component: Component;
  bucket(ctx: InfraContext): string;
  aspects(ctx: InfraContext): Aspect[];
  /** destroy: why the bucket is kept, or undefined to empty and delete it */
  keep?(stage: StageDestroy): string | undefined;
  /** destroy: what deleting it means, for the plan */
  deleteWhy: string;
  /** destroy: delete the bucket policy before emptying (its Deny statements would refuse the deletes) */
  dropPolicyFirst?: boolean;
  /** created with Object Lock enabled */
  objectLock?: boolean;
}

export const bucketResource = (spec: BucketResourceSpec): Resource<BucketRead> =>
  resource({
    id: spec.id,
    async read(ctx, stage) {
      const all = spec.aspects(ctx);
      const aspects = stage.mode === 'destroy' ? all.filter((a) => a.name === 'tags') : all;
      return { state: await readBucket(ctx, spec.bucket(ctx), aspects), aspects };
    },
    plan: (ctx, { state, aspects }) => bucketStep(ctx, { id: spec.id, component: spec.component, bucket: spec.bucket(ctx), aspects, state, objectLock: spec.objectLock }),
    destroy(ctx, { state }, stage) {
      if (!state.exists) return undefined;
      const bucket = spec.bucket(ctx);
      const base = { id: spec.id, component: spec.component, kind: 'S3 bucket', name: bucket };
      const kept = spec.keep?.(stage);
      if (kept) return keepStep({ ...base, why: kept });
      return deleteStep({ ...base, why: spec.deleteWhy }, () =>
        awsCall(ctx, `deleting bucket ${bucket}`, async () => {
          if (spec.dropPolicyFirst) {
            const { DeleteBucketPolicyCommand } = await s3Sdk();
            await ctx.clients.s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
          }
          await deleteBucket(ctx.clients.s3, bucket, (n) => stage.progress?.({ done: n, item: { doing: 'empty', bucket } }));
        }),
      );
    },
    owner: (ctx, { state }) => ({
      what: `bucket ${spec.bucket(ctx)}`,
      tags: state.exists ? ((state.values.get('tags') as Record<string, string> | undefined) ?? {}) : undefined,
    }),
  });
