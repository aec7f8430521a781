import type { Command } from 'commander';
import { lazy, portNumber } from '../action.js';

/** The clinic's public website: rendered from clinica.config.json, published to the site bucket. */
export function declareSite(program: Command): void {
  const site = program
    .command('site')
    .description("the clinic's public website, made from the config's clinic and site sections: build, preview, publish");
  site
    .command('build')
    .description('render the site into a folder (pages, stylesheet, pictures), ready to open or to upload elsewhere')
    .option('-o, --out <dir>', 'output folder (default: .clinica/site)')
    .action(lazy(() => import('./build.js')));
  site
    .command('preview')
    .description('serve the site on this machine; pages are rebuilt on every reload, so config edits show at once')
    .option('--port <port>', 'port to listen on (0 = any free port)', portNumber, 4173)
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .action(lazy(() => import('./preview.js')));
  site
    .command('publish')
    .description('upload the site to the site bucket: only changed files, then delete files that are gone')
    .option('--dry-run', 'show what would be uploaded and deleted, change nothing')
    .action(lazy(() => import('./publish.js')));
}
