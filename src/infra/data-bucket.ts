/**
 * The data bucket (patient data): Block Public Access all four on, default encryption (SSE-S3, or SSE-KMS with
 * aws.kmsKeyId), versioning, a policy that denies any request not made over TLS, CORS for the staff page's
 * presigned uploads, and a lifecycle rule that expires replaced/deleted versions after
 * aws.noncurrentVersionDays (default 90), aborts stale multipart uploads and removes lone delete markers.
 * The policy also makes the audit log write-once for every principal, the server's and the operator's alike:
 * a PutObject under audit/ without If-None-Match is denied (S3 checks it with the s3:if-none-match condition
 * key; the audit writer always sends `If-None-Match: *`), and so is deleting an audit object or one of its
 * versions. Destroy with --delete-patient-data removes the policy before emptying the bucket.
 * Destroy keeps it (and the patient data) unless told to delete the patient data.
 */
import type { CORSRule, LifecycleRule } from '@aws-sdk/client-s3';
import type { InfraContext } from './context.js';
import { arn } from './names.js';
import { AUDIT_PREFIX } from '../clinic/audit.js';
import { policy, type PolicyDocument, type Statement } from './policy-document.js';
import {
  bucketResource,
  corsAspect,
  encryptionAspect,
  lifecycleAspect,
  ownershipAspect,
  policyAspect,
  publicAccessAspect,
  tagsAspect,
  versioningAspect,
  type Aspect,
} from './s3-bucket.js';

export const ALL_BLOCKED = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true };

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

/** The audit log's two statements: no overwrite (only conditional creates) and no delete, for anyone. */
export function auditWriteOnceStatements(ctx: InfraContext, bucket: string): Statement[] {
  const audit = `${arn.bucket(ctx.arns, bucket)}/${AUDIT_PREFIX}*`;
  return [
    {
      Sid: 'AuditCreateOnly',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Resource: audit,
      Condition: { Null: { 's3:if-none-match': 'true' } },
    },
    { Sid: 'AuditNoDelete', Effect: 'Deny', Principal: '*', Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'], Resource: audit },
  ];
}

export function dataPolicy(ctx: InfraContext, bucket: string): PolicyDocument {
  return policy(...tlsOnlyPolicy(ctx, bucket).Statement, ...auditWriteOnceStatements(ctx, bucket));
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
    policyAspect(dataPolicy(ctx, bucket), 'TLS only; audit write-once'),
    corsAspect(dataCors(ctx)),
    lifecycleAspect(dataLifecycle(ctx)),
    ownershipAspect(),
  ] as Aspect[];
}

export const dataBucket = bucketResource({
  id: 'data-bucket',
  component: 'data',
  bucket: (ctx) => ctx.names.dataBucket,
  aspects: dataBucketAspects,
  keep: (stage) => (stage.deletePatientData ? undefined : 'kept: patient data (--delete-patient-data deletes it)'),
  deleteWhy: 'PATIENT DATA: every record, image and old version is deleted, then the bucket',
  dropPolicyFirst: true,
});
