/**
 * The two buckets of a stage.
 *
 * data (patient data): Block Public Access all four on, default encryption (SSE-S3, or SSE-KMS with
 *   aws.kmsKeyId), versioning, a policy that denies any request not made over TLS, CORS for the staff page's
 *   presigned uploads, and a lifecycle rule that expires replaced/deleted versions after
 *   aws.noncurrentVersionDays (default 90), aborts stale multipart uploads and removes lone delete markers.
 * site (public website): website hosting; Block Public Access on for ACLs, off for policies, so that the one
 *   bucket policy — public s3:GetObject on the site's objects — can exist. No TLS-only policy there: the S3
 *   website endpoint speaks only HTTP.
 */
import type { CORSRule, LifecycleRule } from '@aws-sdk/client-s3';
import { ClinicaError } from '../errors.js';
import { isAwsError, type InfraContext } from './context.js';
import { arn } from './names.js';
import type { Step } from './plan.js';
import { policy, type PolicyDocument } from './policy.js';
import {
  bucketStep,
  corsAspect,
  encryptionAspect,
  lifecycleAspect,
  policyAspect,
  publicAccessAspect,
  readBucket,
  tagsAspect,
  type BucketState,
  versioningAspect,
  websiteAspect,
  type Aspect,
} from './s3-bucket.js';

export const ALL_BLOCKED = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };
export const SITE_ACCESS = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false };
export const SITE_WEBSITE = { index: 'index.html', error: '404.html' };

export function tlsOnlyPolicy(ctx: InfraContext, bucket: string): PolicyDocument {
  return policy({
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    Resource: [arn.bucket(ctx.arns, bucket), arn.objects(ctx.arns, bucket)],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  });
}

export function publicReadPolicy(ctx: InfraContext, bucket: string): PolicyDocument {
  return policy({ Sid: 'PublicReadSite', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: arn.objects(ctx.arns, bucket) });
}

export function dataCors(ctx: InfraContext): CORSRule[] {
  return [
    {
      AllowedMethods: ['GET', 'HEAD', 'PUT'],
      AllowedOrigins: ctx.config.aws.corsOrigins ?? ['*'],
      AllowedHeaders: ['*'],
      ExposeHeaders: ['ETag'],
      MaxAgeSeconds: 3000,
    },
  ];
}

export function dataLifecycle(ctx: InfraContext): LifecycleRule[] {
  return [
    {
      ID: 'clinica-old-versions',
      Status: 'Enabled',
      Filter: { Prefix: '' },
      NoncurrentVersionExpiration: { NoncurrentDays: ctx.config.aws.noncurrentVersionDays ?? 90 },
      AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
      Expiration: { ExpiredObjectDeleteMarker: true },
    },
  ];
}

/** In apply order: tags first (a half-made bucket is still recognisably ours), public access before policy. */
export function dataBucketAspects(ctx: InfraContext): Aspect[] {
  const bucket = ctx.names.dataBucket;
  return [
    tagsAspect(ctx.tags('data')),
    publicAccessAspect(ALL_BLOCKED),
    encryptionAspect(ctx.config.aws.kmsKeyId),
    versioningAspect(),
    policyAspect(tlsOnlyPolicy(ctx, bucket), 'TLS only'),
    corsAspect(dataCors(ctx)),
    lifecycleAspect(dataLifecycle(ctx)),
  ] as Aspect[];
}

export function siteBucketAspects(ctx: InfraContext): Aspect[] {
  const publicRead = policyAspect(publicReadPolicy(ctx, ctx.names.siteBucket), 'public read of the site');
  return [
    tagsAspect(ctx.tags('site')),
    publicAccessAspect(SITE_ACCESS),
    websiteAspect(SITE_WEBSITE),
    {
      ...publicRead,
      async apply(s3, bucket) {
        try {
          await publicRead.apply(s3, bucket);
        } catch (err) {
          // the account-wide Block Public Access setting wins over the bucket's
          if (isAwsError(err, 'AccessDenied') && /public/i.test((err as Error).message ?? '')) {
            throw new ClinicaError('forbidden', `the account's S3 Block Public Access settings forbid the public site bucket ${bucket}`, {
              hint: 'turn off "Block public bucket policies" in the account-level S3 settings (the data bucket stays private by its own settings), or host the site elsewhere',
              cause: err,
            });
          }
          throw err;
        }
      },
    },
  ] as Aspect[];
}

export interface BucketPlan {
  step: Step;
  state: BucketState;
  aspects: Aspect[];
}

export async function planDataBucket(ctx: InfraContext): Promise<BucketPlan> {
  const aspects = dataBucketAspects(ctx);
  const state = await readBucket(ctx, ctx.names.dataBucket, aspects);
  return { step: bucketStep(ctx, { id: 'data-bucket', component: 'data', bucket: ctx.names.dataBucket, aspects, state }), state, aspects };
}

export async function planSiteBucket(ctx: InfraContext): Promise<BucketPlan> {
  const aspects = siteBucketAspects(ctx);
  const state = await readBucket(ctx, ctx.names.siteBucket, aspects);
  return { step: bucketStep(ctx, { id: 'site-bucket', component: 'site', bucket: ctx.names.siteBucket, aspects, state }), state, aspects };
}
