import { openContext } from '../../command-context.js';
import { ClinicaError } from '../../errors.js';
import { websiteUrl } from '../../infra/names.js';
import { awsWhere, cloudfrontClient } from '../../aws/clients.js';
import { awsCall } from '../../infra/context.js';
import { invalidateSite, siteDistributionId } from '../../infra/cloudfront.js';
import { buildSite } from '../../site/build.js';
import { publishSite } from '../../site/publish.js';
import { output, type CommandInput, type Output } from '../action.js';
import { count } from '../../plural.js';

interface PublishOptions {
  dryRun?: boolean;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export default async function publish({ opts, ui }: CommandInput<PublishOptions>): Promise<Output> {
  const ctx = openContext(opts);
  const { config } = ctx;
  const spinner = await ui.spinner('building the site');
  let result;
  let site;
  try {
    site = await buildSite(config);
    const store = await ctx.siteStore();
    spinner.update(`comparing with the bucket ${store.bucket}`);
    result = await publishSite(store, site.files, { log: ui, dryRun: opts.dryRun });
  } catch (err) {
    if (err instanceof ClinicaError && err.kind === 'partial') spinner.warn('the site is published, but not every old file was deleted');
    else spinner.fail('the site was not published');
    throw err;
  }
  // on AWS the site is served by the stage's CloudFront distribution: it drops exactly what changed from its caches
  let served: { id: string; domainName?: string } | undefined;
  let invalidated: string[] = [];
  if (!ctx.local && !result.dryRun) {
    const changed = [...result.upload.map((u) => u.path), ...result.remove];
    ({ served, invalidated } = await awsCall({ where: awsWhere(ctx.target) }, 'invalidating the changed paths in CloudFront', async () => {
      const cf = await cloudfrontClient(ctx.target);
      const found = await siteDistributionId(cf, config.stage, result.bucket);
      return { served: found, invalidated: found ? await invalidateSite(cf, found.id, changed) : [] };
    }));
  }
  const cdnUrl = config.site?.domain ? `https://${config.site.domain}/` : served?.domainName ? `https://${served.domainName}/` : undefined;
  const url = ctx.local
    ? (ctx.local.site ?? websiteUrl(result.bucket, config.aws.region, ctx.local.s3))
    : (config.site?.url ?? cdnUrl ?? websiteUrl(result.bucket, config.aws.region, config.aws.endpointUrl));
  const summary = `${result.upload.length} uploaded (${kb(result.upload.reduce((n, u) => n + u.bytes, 0))}), ${result.unchanged.length} unchanged, ${result.remove.length} deleted`;
  if (result.dryRun) spinner.succeed(`dry run — would be: ${summary}`);
  else spinner.succeed(`site published to ${result.bucket}: ${summary}`);

  const { warnings } = site;
  return output({ ...result, url, invalidated, warnings }, async (ui) => {
    if (invalidated.length) ui.print(`CloudFront: ${count(invalidated.length, 'changed path')} invalidated`);
    const rows = [
      ...result.upload.map((u) => ({ action: u.reason === 'new' ? 'upload (new)' : 'upload (changed)', path: u.path })),
      ...result.remove.map((path) => ({ action: 'delete', path })),
      ...result.foreign.map((path) => ({ action: 'keep (not published by clinica)', path })),
    ];
    if (rows.length) {
      await ui.table(rows, [
        { header: result.dryRun ? 'Would' : 'Done', value: (r) => r.action },
        { header: 'File', value: (r) => r.path },
      ]);
    }
    ui.print(`${result.dryRun ? 'would be live at' : 'live at'} ${url}`);
    for (const warning of warnings) ui.warn(warning.message);
  });
}
