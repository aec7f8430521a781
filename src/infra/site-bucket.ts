/**
 * The site bucket (public website): website hosting; Block Public Access on for ACLs, off for policies, so that
 * the one bucket policy — public s3:GetObject on the site's objects — can exist. No TLS-only policy there: the
 * S3 website endpoint speaks only HTTP. Destroy empties and deletes it.
 */
import { ClinicaError } from '../errors.js';
import { isAwsError, type InfraContext } from './context.js';
import { arn } from './names.js';
import { policy, type PolicyDocument } from './policy-document.js';
import { bucketResource, policyAspect, publicAccessAspect, tagsAspect, websiteAspect, type Aspect } from './s3-bucket.js';

export const SITE_ACCESS = { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false };
export const SITE_WEBSITE = { index: 'index.html', error: '404.html' };

export function publicReadPolicy(ctx: InfraContext, bucket: string): PolicyDocument {
  return policy({ Sid: 'PublicReadSite', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: arn.objects(ctx.arns, bucket) });
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

export const siteBucket = bucketResource({
  id: 'site-bucket',
  component: 'site',
  bucket: (ctx) => ctx.names.siteBucket,
  aspects: siteBucketAspects,
  deleteWhy: 'stage destroyed: empty it, then delete it',
});
