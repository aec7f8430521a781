/**
 * The instance's certificate over the real ACME protocol against Pebble (Let's Encrypt's test server, Debian's
 * `pebble`), started here on random ports. The DNS-01 TXT record goes through the Route 53 code
 * (route53Challenge) into a recorded fake zone, and Pebble resolves it from a small DNS server serving that
 * zone. Covered: issuance, reuse of the stored certificate by a "new instance", renewal 30 days before expiry
 * (injected clock), and a failed attempt logged and recorded for `clinica status`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent } from 'node:https';
import dnsPacket from 'dns-packet';
import type { Order } from 'acme-client';
import { mockClient } from 'aws-sdk-client-mock';
import { ChangeResourceRecordSetsCommand, GetChangeCommand, Route53Client } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/log.js';
import { ACCOUNT_KEY, CERTIFICATE_KEY, CertificateManager, route53Challenge, STATUS_KEY, type CertificateStatus, type StoredCertificate } from '../../src/server/certificates.js';
import { useTestStack } from '../helpers/stack.js';
import { selfSignedCert } from '../helpers/certs.js';
import { freePort } from '../helpers/ports.js';

const PEBBLE = '/usr/bin/pebble';
const missing = !existsSync(PEBBLE);
if (missing) console.warn(`skipped: ${PEBBLE} is missing — install it with \`apt-get install -y pebble\` (Let's Encrypt's ACME test server)`);

const DOMAIN = 'sistema.clinicasorriso.test';
const ZONE = 'Z0123456789ABC';

/** The fake zone: what the Route 53 calls wrote, as name → TXT values; every change recorded in order. */
const zone = new Map<string, string[]>();
const changes: { action: string; name: string; value: string }[] = [];
const route53 = mockClient(Route53Client);

let pebble: ChildProcess | undefined;
let dns: dgram.Socket | undefined;
const stack = useTestStack({ withComponents: false });
let directoryUrl: string;
let managementUrl: string;
let pebbleCa: string;

beforeAll(async () => {
  if (missing) return;
  route53.on(ChangeResourceRecordSetsCommand).callsFake((input) => {
    expect(input.HostedZoneId).toBe(ZONE);
    for (const c of input.ChangeBatch.Changes) {
      const set = c.ResourceRecordSet;
      const value = set.ResourceRecords[0].Value.replace(/^"|"$/g, '');
      changes.push({ action: c.Action, name: set.Name, value });
      const name = set.Name.replace(/\.$/, '').toLowerCase();
      if (c.Action === 'DELETE') zone.delete(name);
      else zone.set(name, [value]);
    }
    return { ChangeInfo: { Id: '/change/C1', Status: 'PENDING' } };
  });
  route53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date() } });

  // the DNS server Pebble asks: TXT answers from the fake zone, nothing else
  dns = dgram.createSocket('udp4');
  dns.on('message', (msg, from) => {
    const query = dnsPacket.decode(msg);
    const q = query.questions?.[0];
    const values = q && q.type === 'TXT' ? zone.get(q.name.toLowerCase()) ?? [] : [];
    const answer = dnsPacket.encode({
      type: 'response',
      id: query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER,
      questions: query.questions,
      answers: values.map((v) => ({ type: 'TXT' as const, name: q!.name, ttl: 60, class: 'IN' as const, data: v })),
    });
    dns!.send(answer, from.port, from.address);
  });
  await new Promise<void>((r) => dns!.bind(0, '127.0.0.1', r));
  const dnsPort = (dns.address() as { port: number }).port;

  const dir = mkdtempSync(join(tmpdir(), 'clinica-pebble-'));
  const listener = selfSignedCert(['localhost', '127.0.0.1']);
  pebbleCa = listener.cert;
  writeFileSync(join(dir, 'cert.pem'), listener.cert);
  writeFileSync(join(dir, 'key.pem'), listener.key);
  const api = await freePort([1, 2, 3]);
  const [management, http01, tls01] = [api + 1, api + 2, api + 3];
  writeFileSync(
    join(dir, 'pebble.json'),
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${api}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: join(dir, 'cert.pem'),
        privateKey: join(dir, 'key.pem'),
        httpPort: http01,
        tlsPort: tls01,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
      },
    }),
  );
  pebble = spawn(PEBBLE, ['-config', join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`], {
    env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' },
    stdio: 'ignore',
  });
  directoryUrl = `https://127.0.0.1:${api}/dir`;
  managementUrl = `https://127.0.0.1:${management}`;
  const agent = new Agent({ ca: pebbleCa });
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      import('node:https').then(({ get }) => get(directoryUrl, { agent }, (res) => resolve(res.statusCode === 200)).on('error', () => resolve(false)));
    });
    if (up) break;
    if (i > 100) throw new Error('pebble did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}, 60_000);

afterAll(async () => {
  pebble?.kill();
  dns?.close();
  route53.restore();
});

function manager(now: () => Date = () => new Date(), url = directoryUrl) {
  const log = memoryLog();
  const client = new Route53Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const m = new CertificateManager({ domain: DOMAIN, store: stack.dataStore, dns: route53Challenge(client, ZONE, async () => {}), log, directoryUrl: url, directoryCa: pebbleCa, now });
  return { m, log };
}

async function pebbleRoot(): Promise<string> {
  const { get } = await import('node:https');
  return new Promise((resolve, reject) => {
    get(`${managementUrl}/roots/0`, { agent: new Agent({ ca: pebbleCa }) }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(text));
    }).on('error', reject);
  });
}

/**
 * Deactivates the stored account's valid authorizations, as time does at Let's Encrypt: an authorization lasts
 * 30 days there, and a renewal comes 60 days after the order. Pebble would otherwise reuse one about once in 100
 * orders even with PEBBLE_AUTHZREUSE=0 (it makes a new one when `rand.Intn(100) > percent`), and the renewal
 * would then need no DNS change.
 */
async function expireAuthorizations(): Promise<number> {
  const acme = await import('acme-client');
  acme.axios.defaults.httpsAgent = new Agent({ ca: pebbleCa });
  const saved = (await stack.dataStore.getJson<{ key: string; url: string }>(ACCOUNT_KEY))!.value;
  const client = new acme.Client({ directoryUrl, accountKey: saved.key, accountUrl: saved.url });
  const account = await client.updateAccount({});
  // the orders list is read with the same POST-as-GET as an order
  const list = (await client.getOrder({ url: account.orders } as Order)) as unknown as { orders: string[] };
  let deactivated = 0;
  for (const url of list.orders) {
    const order = await client.getOrder({ url } as Order);
    for (const authz of await client.getAuthorizations(order)) {
      if (authz.status !== 'valid') continue;
      await client.deactivateAuthorization(authz);
      deactivated++;
    }
  }
  return deactivated;
}

describe.skipIf(missing)('the certificate over ACME DNS-01 (Pebble)', () => {
  let first: StoredCertificate;

  it('issues a certificate for network.domain through a _acme-challenge TXT record in Route 53, and stores it', async () => {
    const { m } = manager();
    first = await m.ensure();
    const leaf = new X509Certificate(first.cert);
    expect(leaf.subjectAltName).toBe(`DNS:${DOMAIN}`);
    expect(leaf.checkPrivateKey((await import('node:crypto')).createPrivateKey(first.key))).toBe(true);
    // the chain ends at Pebble's root: the certificate verifies against it
    const chain = first.cert.split(/(?=-----BEGIN CERTIFICATE-----)/).map((p) => new X509Certificate(p));
    const root = new X509Certificate(await pebbleRoot());
    expect(chain.at(-1)!.verify(root.publicKey)).toBe(true);
    expect(first.issuer).toMatch(/Pebble/);
    // the TXT record was written, then removed
    expect(changes.map((c) => [c.action, c.name])).toEqual([
      ['UPSERT', `_acme-challenge.${DOMAIN}`],
      ['DELETE', `_acme-challenge.${DOMAIN}`],
    ]);
    expect(zone.size).toBe(0);
    expect((await stack.dataStore.getJson<StoredCertificate>(CERTIFICATE_KEY))!.value.notAfter).toBe(first.notAfter);
    const status = (await stack.dataStore.getJson<CertificateStatus>(STATUS_KEY))!.value;
    expect(status).toMatchObject({ domain: DOMAIN, notAfter: first.notAfter, failures: 0 });
    expect(JSON.stringify(status)).not.toContain('PRIVATE KEY');
  });

  it('a new instance reuses the stored certificate: no ACME order, no DNS change', async () => {
    const before = changes.length;
    const { m } = manager();
    const again = await m.ensure();
    expect(again.cert).toBe(first.cert);
    expect(changes.length).toBe(before);
  });

  it('renews 30 days before expiry, not earlier (injected clock)', async () => {
    const notAfter = new Date(first.notAfter).getTime();
    const before = changes.length;
    const early = manager(() => new Date(notAfter - 31 * 86_400_000));
    expect((await early.m.ensure()).cert).toBe(first.cert);
    expect(changes.length).toBe(before);

    expect(await expireAuthorizations()).toBe(1);
    const due = manager(() => new Date(notAfter - 29 * 86_400_000));
    const renewed = await due.m.ensure();
    expect(renewed.cert).not.toBe(first.cert);
    expect(new X509Certificate(renewed.cert).serialNumber).not.toBe(new X509Certificate(first.cert).serialNumber);
    expect(changes.length).toBe(before + 2);
    expect((await stack.dataStore.getJson<StoredCertificate>(CERTIFICATE_KEY))!.value.cert).toBe(renewed.cert);
  });

  it('a failed attempt is logged and recorded with its error and the next attempt, and the stored certificate stays', async () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const stored = (await stack.dataStore.getJson<StoredCertificate>(CERTIFICATE_KEY))!.value;
    const { m, log } = manager(() => now, directoryUrl.replace(/\/dir$/, '/no-such-directory'));
    await expect(m.renew()).rejects.toThrow();
    const status = (await stack.dataStore.getJson<CertificateStatus>(STATUS_KEY))!.value;
    expect(status.failures).toBe(1);
    expect(status.lastError).toBeTruthy();
    expect(status.nextAttempt).toBe('2030-01-01T00:15:00.000Z');
    expect(status.notAfter).toBe(stored.notAfter);
    expect(log.entries.some((e) => e.level === 'error' && e.message === 'certificate renewal failed')).toBe(true);
    expect((await stack.dataStore.getJson<StoredCertificate>(CERTIFICATE_KEY))!.value.cert).toBe(stored.cert);
  });
});
