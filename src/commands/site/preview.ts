import { loadConfig } from '../../config/load.js';
import { buildSite } from '../../site/build.js';
import { startPreview } from '../../site/preview.js';
import { output, type CommandInput } from '../action.js';

interface PreviewOptions {
  port: number;
  host: string;
}

export default async function preview({ opts, ui }: CommandInput<PreviewOptions>): Promise<number> {
  // the config is read again on every page load: edits show on reload
  const server = await startPreview({ build: () => buildSite(loadConfig(opts)), host: opts.host, port: opts.port, log: ui });
  /* eslint-disable-next-line no-restricted-syntax -- shown, not returned: the command returns only when the preview
     stops (Ctrl+C), and people and scripts (--json) need its URL while it runs */
  await ui.show(output({ url: server.url }, () => {
    ui.print(`site preview at ${server.url}`);
    ui.info('pages are rebuilt from clinica.config.json on every reload; Ctrl+C stops the preview');
  }));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.stop();
  return 0;
}
