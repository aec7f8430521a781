/**
 * The public site's local twin: at `clinica dev` start, builds the site from the config, publishes it to the
 * local site bucket (the same publish as on AWS) and turns on the bucket's website hosting, so the local S3
 * serves it at <s3 endpoint>/<site bucket>/ without credentials, as the S3 website endpoint does on AWS.
 * `clinica site publish` in another terminal updates it.
 */
import { s3Sdk } from '../aws/clients.js';
import { SITE_WEBSITE } from '../infra/site-bucket.js';
import { websiteUrl } from '../infra/names.js';
import { buildSite } from '../site/build.js';
import { publishSite } from '../site/publish.js';
import type { DevComponent } from './stack.js';

export const siteComponent: DevComponent = {
  name: 'site',
  async start(ctx) {
    const { PutBucketWebsiteCommand } = await s3Sdk();
    await ctx.siteStore.s3.send(
      new PutBucketWebsiteCommand({
        Bucket: ctx.siteStore.bucket,
        // the same index and error documents the deploy gives the AWS site bucket
        WebsiteConfiguration: { IndexDocument: { Suffix: SITE_WEBSITE.index }, ErrorDocument: { Key: SITE_WEBSITE.error } },
      }),
    );
    // the folder form, with its trailing slash (the one websiteUrl makes for an endpoint, as publish prints it);
    // without it the local S3 redirects there (s3-server.ts), so relative links resolve under the bucket
    const url = websiteUrl(ctx.siteStore.bucket, ctx.config.aws.region, ctx.s3.endpoint);
    ctx.endpoints.site = url;
    try {
      const site = await buildSite(ctx.config);
      for (const warning of site.warnings) ctx.log.warn(`public site: ${warning.message}`);
      const result = await publishSite(ctx.siteStore, site.files, { log: ctx.log });
      ctx.log.debug(`site published: ${result.upload.length} uploaded, ${result.unchanged.length} unchanged, ${result.remove.length} deleted`);
    } catch (err) {
      // a mistake in the site section must not keep the rest of the clinic from running locally
      ctx.log.warn(`the public site was not published: ${(err as Error).message} (fix it, then run \`clinica site publish\`)`);
    }
    return { urls: [{ name: 'Public site', url }] };
  },
};
