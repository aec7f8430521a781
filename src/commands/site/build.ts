import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/load.js';
import { buildSite } from '../../site/build.js';
import { writeSite } from '../../site/folder.js';
import { output, type CommandInput, type Output } from '../action.js';

interface BuildOptions {
  out?: string;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

export default async function build({ opts }: CommandInput<BuildOptions>): Promise<Output> {
  const config = loadConfig(opts);
  const site = await buildSite(config);
  const out = opts.out ? resolve(opts.out) : join(config.stateDir, 'site');
  const written = await writeSite(site, out);
  const data = {
    dir: written.dir,
    files: site.files.map((f) => ({ path: f.path, bytes: f.body.length, contentType: f.contentType, cacheControl: f.cacheControl })),
    removed: written.removed,
    warnings: site.warnings,
  };
  return output(data, async (ui) => {
    await ui.table(site.files, [
      { header: 'File', value: (f) => f.path },
      { header: 'Size', value: (f) => kb(f.body.length), align: 'right' },
      { header: 'Content-Type', value: (f) => f.contentType },
    ]);
    ui.print(`${site.files.length} files (${kb(written.bytes)}) in ${written.dir}${written.removed.length ? `; removed ${written.removed.length} from the previous build` : ''}`);
    ui.info(`open ${join(written.dir, site.pages.index)} in a browser, or run \`clinica site preview\``);
    for (const warning of site.warnings) ui.warn(warning.message);
  });
}
