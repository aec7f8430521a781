/**
 * The site bucket (public website's files): private. Block Public Access all four on, no website endpoint, no
 * public policy: the CloudFront distribution reads it through Origin Access Control, and its one bucket policy
 * (only that distribution, TLS only) is planned after the distribution, whose ARN it names
 * (src/infra/cloudfront.ts). Website hosting turned on by hand is turned off again, like any other drift.
 * Destroy empties and deletes it.
 */
import type { InfraContext } from './context.js';
import { ALL_BLOCKED } from './data-bucket.js';
import { bucketResource, noWebsiteAspect, ownershipAspect, publicAccessAspect, tagsAspect, type Aspect } from './s3-bucket.js';

/** The site's index and 404 pages: CloudFront's default root object and error page, the local stack's website. */
export const SITE_WEBSITE = { index: 'index.html', error: '404.html' };
export const SITE_ACCESS = ALL_BLOCKED;

export function siteBucketAspects(ctx: InfraContext): Aspect[] {
  return [tagsAspect(ctx.tags('site')), publicAccessAspect(SITE_ACCESS), noWebsiteAspect(), ownershipAspect()] as Aspect[];
}

export const siteBucket = bucketResource({
  id: 'site-bucket',
  component: 'site',
  bucket: (ctx) => ctx.names.siteBucket,
  aspects: siteBucketAspects,
  deleteWhy: 'stage destroyed: empty it, then delete it',
});
