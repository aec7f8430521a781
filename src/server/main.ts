/**
 * The backend's entry point on EC2 (systemd runs `node server.js`, bundled from this file) and for
 * `node dist/server/main.js`. Settings come from the environment (see src/config/runtime.ts):
 *
 *   CLINICA_CONFIG_JSON, CLINICA_STAGE, CLINICA_DATA_BUCKET, AWS_REGION   (set by `clinica deploy`)
 *   PORT (default: 443 with network.domain, else network.serverPort, 8080), HOST (default 0.0.0.0)
 *   CLINICA_ACME_DIRECTORY  the ACME directory (default Let's Encrypt's production one)
 *   CLINICA_STAFF_DIR   the staff page's files (default: templates/staff found above this file)
 *   CLINICA_VERSION     shown by /health (default: package.json's version, when found)
 *   LOG_LEVEL           debug | info | warn | error (default info)
 *
 * With network.domain (and not network.plainHttp) it serves HTTPS with the certificate it keeps in the data
 * bucket, obtained and renewed over ACME DNS-01 (src/server/certificates.ts); a renewal is swapped in live.
 *
 * Logs are JSON lines on stdout (journald). SIGTERM/SIGINT: stop accepting, finish requests in flight
 * (up to 10 s), exit 0.
 */
import { fileURLToPath } from 'node:url';
import { route53Client, s3Client, type AwsTarget } from '../aws/clients.js';
import { findHostedZone } from '../aws/route53.js';
import type { ResolvedConfig } from '../config/load.js';
import { settingsFromEnv } from '../config/runtime.js';
import { oneLine } from '../errors.js';
import { jsonLinesLog, type Log, type LogLevel } from '../log.js';
import { Store } from '../store/store.js';
import { httpsDomain } from '../infra/serving.js';
import { createBackend, once } from './app.js';
import { CertificateManager, retryDelayMs, route53Challenge, type StoredCertificate } from './certificates.js';
import type { SendInvitation } from './routes.js';
import { serverVersion } from './version.js';

export async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const level = (['debug', 'info', 'warn', 'error'].includes(env.LOG_LEVEL ?? '') ? env.LOG_LEVEL : 'info') as LogLevel;
  const log = jsonLinesLog(undefined, level, { service: 'clinica-server' });
  try {
    const settings = settingsFromEnv(env);
    const secure = httpsDomain(settings.config) !== undefined;
    const port = env.PORT ? Number(env.PORT) : secure ? 443 : settings.config.network.serverPort;
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
    const certificates = secure ? await certificateManager(settings.config, settings.target, store, log, env) : undefined;
    const tls = certificates ? await firstCertificate(certificates, log) : undefined;
    const backend = await createBackend({
      config: settings.config,
      store,
      log,
      version: serverVersion(env),
      tls,
      sendInvitation,
      openSender: once(async () => (await (await import('../mail/ses.js')).openSesSender(settings.target, { sender: settings.config.mail.sender, log })).sender),
    });
    const renewal = certificates?.start((c) => {
      backend.setCertificate(c);
      log.info('certificate swapped in', { notAfter: c.notAfter });
    });
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
      renewal?.stop();
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

async function certificateManager(config: ResolvedConfig, target: AwsTarget, store: Store, log: Log, env: NodeJS.ProcessEnv) {
  const domain = config.network.domain!;
  const route53 = await route53Client(target);
  const zone = await findHostedZone(route53, domain);
  if (!zone) throw new Error(`no Route 53 zone holds ${domain}: run \`clinica deploy\``);
  return new CertificateManager({ domain, store, dns: route53Challenge(route53, zone.id), log, directoryUrl: env.CLINICA_ACME_DIRECTORY || undefined, email: config.clinic.email || undefined });
}

/** The stored certificate, or a new one; without one there is nothing to serve, so it retries until it has one. */
async function firstCertificate(certificates: CertificateManager, log: Log): Promise<StoredCertificate> {
  for (let failures = 1; ; failures++) {
    try {
      return await certificates.ensure();
    } catch (err) {
      const waitMs = retryDelayMs(failures);
      log.error('no certificate yet: the staff page waits for it', { error: oneLine(err), retryInMinutes: waitMs / 60_000 });
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}

const invokedDirectly = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (invokedDirectly || process.env.CLINICA_SERVER_MAIN === '1') {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  void main();
}
