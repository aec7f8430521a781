import { openContext } from '../../command-context.js';
import { ClinicaError } from '../../errors.js';
import { websiteUrl } from '../../infra/names.js';
import { buildSite } from '../../site/build.js';
import { publishSite } from '../../site/publish.js';
import type { CommandInput } from '../action.js';

interface PublishOptions {
  dryRun?: boolean;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export default async function publish({ opts, ui }: CommandInput<PublishOptions>): Promise<number> {
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
  const url = ctx.local
    ? (ctx.local.site ?? websiteUrl(result.bucket, config.aws.region, ctx.local.s3))
    : (config.site?.url ?? websiteUrl(result.bucket, config.aws.region, config.aws.endpointUrl));
  const summary = `${result.upload.length} uploaded (${kb(result.upload.reduce((n, u) => n + u.bytes, 0))}), ${result.unchanged.length} unchanged, ${result.remove.length} deleted`;
  if (result.dryRun) spinner.succeed(`dry run — would be: ${summary}`);
  else spinner.succeed(`site published to ${result.bucket}: ${summary}`);

  ui.result({ ...result, url, warnings: site.warnings });
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
  for (const warning of site.warnings) ui.warn(warning.message);
  return 0;
}
