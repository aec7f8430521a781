/**
 * The public site's files in the site bucket: deploy builds the site from the config (src/site/build.ts) and
 * publishes what changed (src/site/publish.ts — hashes in object metadata, so unchanged files are not
 * uploaded again). The site area owns the content and how it is published; this step only puts it in the
 * plan, so a dry run shows it and a no-change deploy leaves the bucket alone, and hands the site's warnings
 * (what `clinica site build` warns about) to the plan's warnings.
 */
import type { BuiltSite } from '../site/build.js';
import type { PublishPlan } from '../site/publish.js';
import { Store } from '../store/store.js';
import { awsCall, type InfraContext } from './context.js';
import { isNoSuchBucket, untilS3Settles, type BucketRead } from './s3-bucket.js';
import { step, type Step } from './plan.js';
import { resource } from './resource.js';
import { invalidateSite } from './cloudfront.js';
import { count } from '../plural.js';


export interface SiteContentPlan {
  step: Step;
  /** what the law or the CFO asks the site to show and the config leaves out (src/site/checks.ts), for the plan */
  warnings: string[];
}

export async function planSiteContent(ctx: InfraContext, bucketExists: boolean): Promise<SiteContentPlan> {
  const [{ buildSite }, { planPublish, publishSite }] = await Promise.all([import('../site/build.js'), import('../site/publish.js')]);
  const site: BuiltSite = await buildSite(ctx.config);
  const warnings = site.warnings.map((w) => `public site: ${w.message}`);
  const store = new Store(ctx.clients.s3, ctx.names.siteBucket, ctx.where);
  const published: PublishPlan = bucketExists
    ? await awsCall(ctx, `reading the site in ${ctx.names.siteBucket}`, () => planPublish(store, site.files))
    : { upload: site.files.map((f) => ({ path: f.path, reason: 'new' as const, bytes: f.body.length })), unchanged: [], remove: [], foreign: [] };
  const changed = published.upload.filter((u) => u.reason === 'changed').length;
  const added = published.upload.length - changed;
  const parts = [added && `upload ${count(added, 'new file')}`, changed && `upload ${count(changed, 'changed file')}`, published.remove.length && `delete ${count(published.remove.length, 'old file')}`].filter(Boolean);
  const publishing = `publishing the site to ${ctx.names.siteBucket}`;
  // a distribution that already serves the site drops exactly what changed from its caches
  const publish = async () => {
    const result = await publishSite(store, site.files, { log: ctx.log });
    const distribution = ctx.facts.distribution?.id;
    if (distribution) await invalidateSite(ctx.clients.cloudfront, distribution, [...result.upload.map((u) => u.path), ...result.remove]);
    return result;
  };
  // a bucket this deploy has just created may still be "NoSuchBucket" for a moment: wait as its settings do
  const justCreated = (err: unknown) => !bucketExists && isNoSuchBucket(err);
  const contentStep = step({
    id: 'site-content',
    component: 'site',
    kind: 'site content',
    name: `s3://${ctx.names.siteBucket}/`,
    exists: published.unchanged.length + published.remove.length + changed > 0,
    changes: parts.length
      ? [
          {
            what: parts.join(', '),
            apply: () => awsCall(ctx, publishing, () => untilS3Settles(ctx, ctx.names.siteBucket, publishing, publish, justCreated).then(() => undefined)),
          },
        ]
      : [],
    createWhy: `not published: upload ${count(site.files.length, 'file')} (clinica site build)`,
    upToDateWhy: `${count(published.unchanged.length, 'file')} published${published.foreign.length ? `, ${published.foreign.length} not clinica's (kept)` : ''}`,
  });
  return { step: contentStep, warnings };
}

// --- the resource shape ---

/** Built and compared while planning (after the bundles); destroy leaves it to the site bucket's deletion. */
export const siteContent = resource({
  id: 'site-content',
  read: async () => undefined,
  async plan(ctx, _state, stage) {
    stage.progress({ done: 0, item: { doing: 'site' } });
    const content = await planSiteContent(ctx, stage.state<BucketRead>('site-bucket').state.exists);
    for (const w of content.warnings) stage.warn(w);
    return content.step;
  },
  destroy: () => undefined,
});
