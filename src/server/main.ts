/**
 * The backend's entry point on EC2 (systemd runs `node server.js`, bundled from this file) and for
 * `node dist/server/main.js`. Settings come from the environment (see src/config/runtime.ts):
 *
 *   CLINICA_CONFIG_JSON, CLINICA_STAGE, CLINICA_DATA_BUCKET, AWS_REGION   (set by `clinica deploy`)
 *   PORT (default: network.serverPort, 8080), HOST (default 0.0.0.0)
 *   CLINICA_STAFF_DIR   the staff page's files (default: templates/staff found above this file)
 *   CLINICA_VERSION     shown by /health (default: package.json's version, when found)
 *   LOG_LEVEL           debug | info | warn | error (default info)
 *
 * Logs are JSON lines on stdout (journald). SIGTERM/SIGINT: stop accepting, finish requests in flight
 * (up to 10 s), exit 0.
 */
import { fileURLToPath } from 'node:url';
import { s3Client } from '../aws/clients.js';
import { settingsFromEnv } from '../config/runtime.js';
import { oneLine } from '../errors.js';
import { jsonLinesLog, type LogLevel } from '../log.js';
import { Store } from '../store/store.js';
import { createBackend } from './app.js';
import type { SendInvitation } from './routes.js';
import { serverVersion } from './version.js';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const level = (['debug', 'info', 'warn', 'error'].includes(env.LOG_LEVEL ?? '') ? env.LOG_LEVEL : 'info') as LogLevel;
  const log = jsonLinesLog(undefined, level, { service: 'clinica-server' });
  try {
    const settings = settingsFromEnv(env);
    const port = env.PORT ? Number(env.PORT) : settings.config.network.serverPort;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT "${env.PORT}" is not a port number`);
    const host = env.HOST || '0.0.0.0';
    const store = new Store(await s3Client(settings.target), settings.dataBucket, `s3://${settings.dataBucket}`);
    // on AWS with a sender, invitations made on the page are e-mailed too (the instance role may send as mail.sender)
    const sendInvitation: SendInvitation | undefined =
      settings.config.target === 'aws' && settings.config.mail.sender
        ? async (invitation) => {
            const { sendInvitationEmail } = await import('../mail/invitation.js');
            await sendInvitationEmail(settings.target, settings.config, invitation);
          }
        : undefined;
    const backend = await createBackend({ config: settings.config, store, log, version: serverVersion(env), sendInvitation });
    const url = await backend.listen(port, host);
    log.info('listening', {
      url,
      stage: settings.config.stage,
      bucket: settings.dataBucket,
      clinicCidrs: settings.config.network.clinicCidrs,
      trustedProxies: settings.config.network.trustedProxies,
    });
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info('stopping', { signal });
      backend.close(10_000).then(
        () => {
          log.info('stopped');
          process.exit(0);
        },
        (err: unknown) => {
          log.error('stop failed', { error: oneLine(err) });
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  } catch (err) {
    log.error('cannot start', { error: oneLine(err) });
    process.exitCode = 1;
  }
}

const invokedDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly || process.env.CLINICA_SERVER_MAIN === '1') {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  void main();
}
