import { loadConfig } from '../../config/load.js';
import { ClinicaError } from '../../errors.js';
import { readEndpoints } from '../../local/endpoints.js';
import type { Ui } from '../../ui/output.js';
import { output, type CommandInput } from '../action.js';

interface DevOptions {
  demo?: boolean;
  exit?: boolean;
  host: string;
  s3Port: number;
  sesPort: number;
  port?: number;
  answersPort?: number;
  whatsappPort?: number;
  reset?: boolean;
}

/** The answer page's port beside the backend's (its links go into the reminders, so it stays put between runs). */
export const answersPortFor = (serverPort: number) => (serverPort === 0 ? 0 : serverPort + 2);

/** The WhatsApp outbox's port: --whatsapp-port, else beside the backend's (+ 3), that one or any free one. */
export const whatsappPortFor = (serverPort: number, asked?: number): { port: number; orAnyFree?: boolean } =>
  asked !== undefined ? { port: asked } : { port: serverPort === 0 || serverPort + 3 > 65535 ? 0 : serverPort + 3, orAnyFree: true };

export default async function dev({ opts, ui }: CommandInput<DevOptions>): Promise<number> {
  const config = loadConfig(opts);
  if (config.target !== 'local') {
    ui.warn(`the config's target is "${config.target}"; clinica dev runs the local stack regardless`);
  }
  // one stack per project folder: a second one would fight over ports and data
  try {
    const running = readEndpoints(config.stateDir);
    throw new ClinicaError('usage', `clinica dev is already running here (process ${running.pid}, S3 at ${running.s3})`, {
      hint: 'use that one, or stop it with Ctrl+C first',
    });
  } catch (err) {
    if (err instanceof ClinicaError && err.kind !== 'unavailable') throw err;
  }
  const spinner = await ui.spinner('starting the local stack');
  const { startLocalStack } = await import('../../local/stack.js');
  const serverPort = opts.port ?? config.network.serverPort;
  if (opts.answersPort === undefined && serverPort + 2 > 65535) {
    throw new ClinicaError('usage', `--port ${serverPort} leaves no room for the answer page at --port + 2`, { hint: 'pass --answers-port too, or a lower --port' });
  }
  let stack;
  try {
    stack = await startLocalStack({
      config,
      log: ui,
      host: opts.host,
      s3Port: opts.s3Port,
      sesPort: opts.sesPort,
      serverPort,
      answersPort: opts.answersPort ?? answersPortFor(serverPort),
      whatsappPort: whatsappPortFor(serverPort, opts.whatsappPort),
      reset: opts.reset,
      publish: true,
    });
  } catch (err) {
    spinner.fail('the local stack did not start');
    throw err;
  }
  spinner.succeed(`local stack up — data in ${stack.dir}`);

  const seeded = opts.demo ? await seedDemo(ui, stack) : [];

  const data = {
    clinic: config.clinic.name,
    stage: config.stage,
    dataDir: stack.dir,
    dataBucket: config.names.dataBucket,
    siteBucket: config.names.siteBucket,
    urls: Object.fromEntries(stack.urls.map((u) => [u.name, u.url])),
    demo: seeded,
  };
  /* eslint-disable-next-line no-restricted-syntax -- shown, not returned: the command returns only when the stack
     stops (Ctrl+C), and people and scripts (--json) need the URLs while it runs */
  await ui.show(output(data, async () => {
    await ui.table(stack.urls, [
      { header: 'What', value: (r) => r.name },
      { header: 'URL', value: (r) => r.url },
    ], { title: `${config.clinic.name} — local stack (stage ${config.stage})` });
    if (seeded.length) {
      await ui.table(seeded, [
        { header: 'Demo', value: (r) => r.name },
        { header: 'Seeded', value: (r) => r.summary },
      ]);
    }
  }));

  if (opts.exit) {
    await stack.stop();
    return 0;
  }
  ui.info('Other commands in this folder now use this stack (e.g. `npx clinica patients list`). Ctrl+C stops it.');
  await untilStopped(ui);
  await stack.stop();
  ui.info('stopped; data kept in ' + stack.dir);
  return 0;
}

type Stack = Awaited<ReturnType<typeof import('../../local/stack.js').startLocalStack>>;

/** --demo: the demo data seeded (once: a seeder that finds its data does nothing); the stack stopped if it fails. */
async function seedDemo(ui: Ui, stack: Stack): Promise<{ name: string; summary: string }[]> {
  const seeding = await ui.spinner('seeding demo data');
  try {
    const seeded = await stack.seedDemo();
    seeding.succeed(`demo data seeded${seeded.length ? '' : ' (nothing to seed yet)'}`);
    return seeded;
  } catch (err) {
    seeding.fail('seeding demo data failed');
    await stack.stop();
    throw err;
  }
}

/** Resolves on Ctrl+C (or SIGTERM), saying so. */
function untilStopped(ui: Ui): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      ui.info(`${signal}: stopping the local stack…`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
