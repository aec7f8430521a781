/**
 * The staff page's certificate, obtained and renewed by the instance itself: Let's Encrypt over ACME
 * (acme-client) with the DNS-01 challenge, its TXT record written to the stage's Route 53 zone — no port 80
 * open to the world. Certificate, key and ACME account are kept under the data bucket's tls/ prefix (encrypted
 * at rest by the bucket; among the deployed roles only the server's may read it), so a replaced instance
 * reuses them instead of asking Let's Encrypt again (its rate limits). Renewal starts 30 days before expiry
 * and retries with a growing delay; every attempt is written to tls/status.json for `clinica status`.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import { oneLine } from '../errors.js';
import type { Log } from '../log.js';
import type { Store } from '../store/store.js';
import type { Certificate } from './tls.js';

export const LETS_ENCRYPT = 'https://acme-v02.api.letsencrypt.org/directory';
export const TLS_PREFIX = 'tls/';
export const CERTIFICATE_KEY = `${TLS_PREFIX}certificate.json`;
export const ACCOUNT_KEY = `${TLS_PREFIX}account.json`;
export const STATUS_KEY = `${TLS_PREFIX}status.json`;
const DAY = 86_400_000;
export const RENEW_BEFORE_DAYS = 30;
/** how often a valid certificate is looked at again */
const CHECK_EVERY_MS = 12 * 3_600_000;
/** after a failed attempt: 15 min, 30 min, 1 h, … up to 12 h */
export const retryDelayMs = (failures: number) => Math.min(15 * 60_000 * 2 ** Math.max(0, failures - 1), CHECK_EVERY_MS);

export interface StoredCertificate extends Certificate {
  domain: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
}

/** What `clinica status` shows: no secret in it. */
export interface CertificateStatus {
  domain: string;
  issuer?: string;
  notAfter?: string;
  lastAttempt?: string;
  lastSuccess?: string;
  lastError?: string;
  failures: number;
  nextAttempt?: string;
}

/** Where the DNS-01 TXT record is written: Route 53 on AWS, anything else in tests. */
export interface DnsChallenge {
  set(name: string, value: string): Promise<void>;
  remove(name: string, value: string): Promise<void>;
}

export type Sleep = (ms: number) => Promise<void>;
const realSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * The TXT record in the stage's hosted zone: UPSERT (DELETE to remove), then wait until Route 53 says the
 * change is INSYNC on its name servers. The server role may change only _acme-challenge TXT records there.
 */
export function route53Challenge(route53: Route53Client, zoneId: string, sleep: Sleep = realSleep): DnsChallenge {
  const change = async (action: 'UPSERT' | 'DELETE', name: string, value: string) => {
    const { ChangeResourceRecordSetsCommand, GetChangeCommand } = await import('@aws-sdk/client-route-53');
    const out = await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: { Comment: 'clinica ACME DNS-01', Changes: [{ Action: action, ResourceRecordSet: { Name: name, Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: `"${value}"` }] } }] },
      }),
    );
    let status = out.ChangeInfo?.Status;
    for (let i = 0; status !== 'INSYNC' && out.ChangeInfo?.Id && i < 60; i++) {
      await sleep(5_000);
      status = (await route53.send(new GetChangeCommand({ Id: out.ChangeInfo.Id }))).ChangeInfo?.Status;
    }
  };
  return {
    set: (name, value) => change('UPSERT', name, value),
    remove: (name, value) =>
      change('DELETE', name, value).catch((err: unknown) => {
        // already gone: nothing to clean up
        if ((err as { name?: string })?.name !== 'InvalidChangeBatch') throw err;
      }),
  };
}

export interface CertificateManagerOptions {
  domain: string;
  /** the data bucket */
  store: Store;
  dns: DnsChallenge;
  log: Log;
  directoryUrl?: string;
  /** the ACME account's contact (optional for Let's Encrypt) */
  email?: string;
  now?: () => Date;
  sleep?: Sleep;
  /** extra CA certificates to trust for the ACME directory's HTTPS (Pebble in tests) */
  directoryCa?: string;
}

export class CertificateManager {
  private readonly now: () => Date;
  private readonly sleep: Sleep;
  private failures = 0;
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: CertificateManagerOptions) {
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? realSleep;
  }

  /** The stored certificate for this domain, if any. */
  async stored(): Promise<StoredCertificate | undefined> {
    const got = await this.options.store.getJson<StoredCertificate>(CERTIFICATE_KEY);
    return got && got.value.domain === this.options.domain ? got.value : undefined;
  }

  /** Whether a certificate is due for renewal: less than RENEW_BEFORE_DAYS left. */
  due(c: StoredCertificate | undefined): boolean {
    return !c || new Date(c.notAfter).getTime() - this.now().getTime() < RENEW_BEFORE_DAYS * DAY;
  }

  /** The certificate to serve: the stored one while it is not due, else a new one from the ACME server. */
  async ensure(): Promise<StoredCertificate> {
    const current = await this.stored();
    if (!this.due(current)) return current!;
    return this.renew();
  }

  /** Asks the ACME server for a certificate now, stores it, and records the attempt. */
  async renew(): Promise<StoredCertificate> {
    const attempt = this.now().toISOString();
    try {
      const issued = await this.issue();
      await this.options.store.putJson(CERTIFICATE_KEY, issued);
      this.failures = 0;
      await this.writeStatus({ domain: issued.domain, issuer: issued.issuer, notAfter: issued.notAfter, lastAttempt: attempt, lastSuccess: attempt, failures: 0 });
      this.options.log.info('certificate issued', { domain: issued.domain, issuer: issued.issuer, notAfter: issued.notAfter });
      return issued;
    } catch (err) {
      this.failures++;
      const current = await this.stored().catch(() => undefined);
      const nextAttempt = new Date(this.now().getTime() + retryDelayMs(this.failures)).toISOString();
      await this.writeStatus({
        domain: this.options.domain,
        issuer: current?.issuer,
        notAfter: current?.notAfter,
        lastAttempt: attempt,
        lastError: oneLine(err),
        failures: this.failures,
        nextAttempt,
      }).catch(() => {});
      this.options.log.error('certificate renewal failed', { domain: this.options.domain, error: oneLine(err), failures: this.failures, nextAttempt });
      throw err;
    }
  }

  /**
   * Checks twice a day and renews when due; after a failure it tries again after retryDelayMs. `onRenewed`
   * gets each new certificate (the server swaps it in without a restart).
   */
  start(onRenewed: (c: StoredCertificate) => void): { stop(): void } {
    const tick = async () => {
      let delay = CHECK_EVERY_MS;
      try {
        const current = await this.stored();
        if (this.due(current)) onRenewed(await this.renew());
      } catch {
        delay = retryDelayMs(this.failures);
      }
      if (!this.stopped) this.timer = setTimeout(() => void tick(), delay).unref();
    };
    this.timer = setTimeout(() => void tick(), CHECK_EVERY_MS).unref();
    return {
      stop: () => {
        this.stopped = true;
        clearTimeout(this.timer);
      },
    };
  }

  private async writeStatus(status: CertificateStatus): Promise<void> {
    await this.options.store.putJson(STATUS_KEY, status);
  }

  private async issue(): Promise<StoredCertificate> {
    const acme = await import('acme-client');
    if (this.options.directoryCa) {
      const { Agent } = await import('node:https');
      acme.axios.defaults.httpsAgent = new Agent({ ca: this.options.directoryCa });
    }
    const { domain, dns, store } = this.options;
    const directoryUrl = this.options.directoryUrl ?? LETS_ENCRYPT;
    // one ACME account per directory, kept with the certificate
    const saved = (await store.getJson<{ directoryUrl: string; key: string; url?: string }>(ACCOUNT_KEY))?.value;
    const accountKey = saved?.directoryUrl === directoryUrl ? saved.key : (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
    const client = new acme.Client({ directoryUrl, accountKey, ...(saved?.directoryUrl === directoryUrl && saved.url ? { accountUrl: saved.url } : {}), backoffAttempts: 10, backoffMin: 1_000, backoffMax: 10_000 });
    const [key, csr] = await acme.crypto.createCsr({ commonName: domain }, await acme.crypto.createPrivateEcdsaKey('P-256'));
    const cert = await client.auto({
      csr,
      email: this.options.email,
      termsOfServiceAgreed: true,
      challengePriority: ['dns-01'],
      // the TXT record is INSYNC on Route 53's servers when set() returns; acme-client's own lookup would ask
      // the instance's resolver, which may still cache the answer from before
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => {
        if (challenge.type !== 'dns-01') throw new Error(`unexpected ACME challenge ${challenge.type}`);
        await dns.set(`_acme-challenge.${domain}`, keyAuthorization);
      },
      challengeRemoveFn: async (_authz, _challenge, keyAuthorization) => {
        await dns.remove(`_acme-challenge.${domain}`, keyAuthorization).catch((err: unknown) => {
          this.options.log.warn('could not remove the ACME TXT record', { error: oneLine(err) });
        });
      },
    });
    await store.putJson(ACCOUNT_KEY, { directoryUrl, key: accountKey, url: client.getAccountUrl() });
    const info = acme.crypto.readCertificateInfo(cert);
    const { X509Certificate } = await import('node:crypto');
    const issuer = new X509Certificate(cert).issuer.split('\n').find((l) => l.startsWith('CN='))?.slice(3) ?? info.issuer.commonName ?? 'unknown';
    return { domain, cert, key: key.toString(), issuer, notBefore: info.notBefore.toISOString(), notAfter: info.notAfter.toISOString() };
  }
}
