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

/**
 * In apply order. Block Public Access and encryption come right after CreateBucket, before the tags: a first
 * deploy interrupted at any later call leaves a bucket that is private and encrypted (with the clinic's KMS key
 * when one is set) before anything can be written to it. Then the tags (a half-made bucket is recognisably ours),
 * and public access before the policy.
 */
export function dataBucketAspects(ctx: InfraContext): Aspect[] {
  const bucket = ctx.names.dataBucket;
  return [
    publicAccessAspect(ALL_BLOCKED),
    encryptionAspect(ctx.config.aws.kmsKeyId),
    tagsAspect(ctx.tags('data')),
    versioningAspect(),
    policyAspect(tlsOnlyPolicy(ctx, bucket), 'TLS only'),
    corsAspect(dataCors(ctx)),
    lifecycleAspect(dataLifecycle(ctx)),
  ] as Aspect[];
}

/**
 * Why S3 refused the site's public-read policy. Right after the bucket's own public access block changed S3
 * may deny it for a few seconds (retried by bucketStep); what remains is either a Block Public Access setting
 * (the bucket's or the account's) or the operator's permissions. The account-wide setting protects every
 * bucket of the account: clinica names it for the operator to check, and never suggests turning it off.
 */
export function explainSitePolicyFailure(err: unknown, bucket: string, waitedSeconds: number): ClinicaError | undefined {
  if (!isAwsError(err, 'AccessDenied')) return undefined;
  const said = ((err as Error).message ?? '').trim();
  const waited = waitedSeconds ? ` (still after waiting ${waitedSeconds} s for the bucket's own public access setting to settle)` : '';
  const check = "check the account-level S3 Block Public Access settings (S3 console → \"Block Public Access settings for this account\") with whoever manages the account";
  if (/block ?public ?access|BlockPublicPolicy|public polic/i.test(said)) {
    return new ClinicaError('forbidden', `S3 refused the public-read policy of the site bucket ${bucket}: a Block Public Access setting forbids public bucket policies${waited} (AWS: ${said})`, {
      hint: `${check}: they protect every bucket of the account, so keep them if they are wanted there and host the public site elsewhere; the data bucket is private by its own settings either way`,
      cause: err,
    });
  }
  return new ClinicaError('forbidden', `S3 denied setting the public-read policy of the site bucket ${bucket}${waited}${said && said !== 'Access Denied' ? ` (AWS: ${said})` : ''}`, {
    hint: `check that your AWS identity may s3:PutBucketPolicy on it (docs/aws.md lists the policy clinica needs), and ${check.replace(/^check /, '')}; then run \`clinica deploy\` again`,
    cause: err,
  });
}

export function siteBucketAspects(ctx: InfraContext): Aspect[] {
  return [
    tagsAspect(ctx.tags('site')),
    publicAccessAspect(SITE_ACCESS),
    websiteAspect(SITE_WEBSITE),
    { ...policyAspect(publicReadPolicy(ctx, ctx.names.siteBucket), 'public read of the site'), explainFailure: explainSitePolicyFailure },
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
