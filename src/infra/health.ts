/**
 * status = the deploy plan (anything not "no change" is drift or missing) plus health: is the instance
 * running and does the backend answer /health (when reachable from here), are the functions Active with
 * their last update successful, are the buckets encrypted and private, is the SES sender verified.
 * A check is ok, failed, or unknown (cannot be seen from here — not counted as unhealthy).
 */
import type { InfraContext } from './context.js';
import { STATUS_KEY, type CertificateStatus } from '../server/certificates.js';
import { dataStore } from './server-code.js';
import { httpsDomain } from './serving.js';
import type { DeployPlan } from './stack.js';
import { sesQuota, sesSummary, sesVerified } from './ses.js';
import { certificateSummary, type SiteCertificateState } from './site-domain.js';
import { canonicalReplication, desiredReplication, readReplication, replicaKeyArn } from './backup-bucket.js';
import { backupLocation } from './names.js';

export interface HealthCheck {
  name: string;
  ok: boolean | undefined;
  detail: string;
}

/** DNS as the internet sees it (status checks the delegation and the A record). */
export interface DnsLookup {
  resolveNs(name: string): Promise<string[]>;
  resolve4(name: string): Promise<string[]>;
}
const systemDns = async (): Promise<DnsLookup> => (await import('node:dns')).promises;

/** A certificate closer than this to its expiry fails status: renewal (from 30 days before) has been failing. */
export const CERTIFICATE_MIN_DAYS = 14;

export type Fetcher = (url: string, timeoutMs: number) => Promise<{ status: number; body: string }>;

const defaultFetch: Fetcher = async (url, timeoutMs) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, body: await res.text() };
};

export async function backendHealth(ctx: InfraContext, fetcher: Fetcher = defaultFetch): Promise<HealthCheck> {
  const i = ctx.facts.instance;
  const port = ctx.config.network.serverPort;
  const name = 'backend /health';
  if (!i || i.state !== 'running') return { name, ok: i ? false : undefined, detail: i ? `instance is ${i.state}` : 'no instance' };
  const tried: string[] = [];
  const domain = httpsDomain(ctx.config);
  const urls = domain ? [`https://${domain}/health`] : [i.privateIp, i.publicIp].filter((x): x is string => Boolean(x)).map((ip) => `http://${ip}:${port}/health`);
  for (const url of urls) {
    try {
      const res = await fetcher(url, 3_000);
      let version = '';
      try {
        version = String((JSON.parse(res.body) as { version?: string }).version ?? '');
      } catch {
        /* not JSON */
      }
      if (res.status !== 200) return { name, ok: false, detail: `${url} answered ${res.status}` };
      const release = ctx.facts.serverRelease;
      const behind = release && version && version !== release ? ` (running ${version}; release ${release} is installed within a minute)` : '';
      return { name, ok: true, detail: `${url} ok${version ? `, version ${version}` : ''}${behind}` };
    } catch {
      tried.push(url);
    }
  }
  return { name, ok: undefined, detail: `not reachable from here (${tried.join(', ') || 'no address'}): only the clinic network may connect` };
}

/** The certificate as the instance last recorded it (tls/status.json): issuer, expiry, last failure. */
export async function certificateCheck(ctx: InfraContext, now = new Date()): Promise<HealthCheck> {
  const name = 'HTTPS certificate';
  const status = (await dataStore(ctx).getJson<CertificateStatus>(STATUS_KEY).catch(() => undefined))?.value;
  if (!status?.notAfter) return { name, ok: false, detail: status?.lastError ? `not issued: ${status.lastError}` : 'not issued yet (the instance asks Let\'s Encrypt once the NS records are set)' };
  const days = Math.floor((new Date(status.notAfter).getTime() - now.getTime()) / 86_400_000);
  const failing = status.lastError ? `; renewal failing (${status.failures}×, next ${status.nextAttempt}): ${status.lastError}` : '';
  return { name, ok: days >= CERTIFICATE_MIN_DAYS, detail: `${status.issuer ?? '?'}, expires ${status.notAfter.slice(0, 10)} (${days} days)${failing}` };
}

/** Whether the registrar delegates the zone to Route 53, and the name resolves to the Elastic IP. */
export async function dnsChecks(ctx: InfraContext, lookup?: DnsLookup): Promise<HealthCheck[]> {
  const { domain } = ctx.config.network;
  const zone = ctx.facts.zoneName;
  const want = ctx.facts.nameServers ?? [];
  if (!domain || !zone) return [];
  const dns = lookup ?? (await systemDns());
  const norm = (names: string[]) => names.map((n) => n.toLowerCase().replace(/\.$/, '')).sort();
  const delegation: HealthCheck = await dns.resolveNs(zone).then(
    (seen) => {
      const ok = JSON.stringify(norm(seen)) === JSON.stringify(norm(want));
      return { name: 'DNS delegation', ok, detail: ok ? `${zone} → Route 53 (${norm(seen).join(' ')})` : `${zone} NS ${norm(seen).join(' ') || 'none'}; set at the registrar: ${norm(want).join(' ')}` };
    },
    (err: { code?: string }) => ({ name: 'DNS delegation', ok: false, detail: `${zone} has no NS records yet (${err.code ?? 'error'}); set at the registrar: ${norm(want).join(' ')}` }),
  );
  const ip = ctx.facts.elasticIp?.publicIp;
  const record: HealthCheck = await dns.resolve4(domain).then(
    (seen) => ({ name: 'DNS A record', ok: seen.length === 1 && seen[0] === ip, detail: `${domain} → ${seen.join(', ') || 'nothing'}${seen[0] === ip ? ' (the Elastic IP)' : `, expected ${ip ?? 'the Elastic IP'}`}` }),
    (err: { code?: string }) => ({ name: 'DNS A record', ok: false, detail: `${domain} does not resolve (${err.code ?? 'error'})` }),
  );
  return [delegation, record];
}

/** The public site's ACM certificate (site.domain): issued, and not close to its expiry (ACM renews from 60 days before). */
export function siteCertificateCheck(site: SiteCertificateState, now = new Date()): HealthCheck {
  const name = 'site certificate';
  const c = site.cert;
  if (!c) return { name, ok: false, detail: `${site.domain}: not requested yet (deploy requests it)` };
  const validation = c.validation ? `; validation CNAME ${c.validation.Name}` : '';
  if (c.status !== 'ISSUED' || !c.notAfter) return { name, ok: false, detail: `${site.domain}: ${c.status} (deploy waits for ACM to validate it)${validation}` };
  const days = Math.floor((new Date(c.notAfter).getTime() - now.getTime()) / 86_400_000);
  return { name, ok: days >= CERTIFICATE_MIN_DAYS, detail: `${site.domain}: ${certificateSummary(c)} (${days} days)${validation}` };
}

export async function healthChecks(ctx: InfraContext, plan: DeployPlan, fetcher?: Fetcher, lookup?: DnsLookup): Promise<HealthCheck[]> {
  const checks: HealthCheck[] = [];
  const { observed } = plan;
  if (httpsDomain(ctx.config)) {
    checks.push(...(await dnsChecks(ctx, lookup)));
    if (observed.data.state.exists) checks.push(await certificateCheck(ctx));
  }
  if (observed.siteCertificate) checks.push(siteCertificateCheck(observed.siteCertificate));

  const i = observed.instances.instance;
  checks.push({
    name: 'instance',
    ok: i ? i.State?.Name === 'running' : false,
    detail: i ? `${i.InstanceId} ${i.State?.Name}, ${i.InstanceType}, private ${i.PrivateIpAddress ?? '-'}, public ${i.PublicIpAddress ?? '-'}, IMDSv2 ${i.MetadataOptions?.HttpTokens === 'required' ? 'required' : 'NOT required'}` : 'not deployed',
  });
  checks.push(await backendHealth(ctx, fetcher));

  for (const [name, state] of observed.functions) {
    const c = state.config;
    checks.push({
      name: `Lambda ${name}`,
      ok: state.exists && c?.State === 'Active' && (c.LastUpdateStatus ?? 'Successful') === 'Successful',
      detail: state.exists ? `${c?.State ?? '?'}, last update ${c?.LastUpdateStatus ?? '?'} ${c?.LastModified ?? ''}`.trim() : 'not deployed',
    });
  }

  for (const [label, bucket] of [
    ['data bucket', observed.data],
    ['site bucket', observed.site],
  ] as const) {
    if (!bucket.state.exists) {
      checks.push({ name: label, ok: false, detail: 'does not exist' });
      continue;
    }
    const parts = bucket.aspects.filter((a) => a.name !== 'tags').map((a) => `${a.name}: ${a.show(bucket.state.values.get(a.name))}`);
    const bad = bucket.aspects.filter((a) => !a.same(bucket.state.values.get(a.name)));
    checks.push({ name: label, ok: bad.length === 0, detail: parts.join('; ') });
  }

  checks.push(await replicationCheck(ctx));

  const ses = observed.ses;
  checks.push({ name: 'SES sender', ok: ses.unknown ? undefined : sesVerified(ses), detail: sesSummary(ses) });
  if (!ses.unknown) checks.push({ name: 'SES sending quota', ok: (ses.quota?.max24h ?? 0) > 0, detail: sesQuota(ses) });
  return checks;
}

/**
 * Replication health: the rule is the one deploy sets, and the newest audit object of today (written every few
 * minutes while the clinic works) has reached the backup — its replication status is COMPLETED, PENDING is lag,
 * FAILED is a failure. `clinica backup verify` compares the copies themselves.
 */
export async function replicationCheck(ctx: InfraContext, now = new Date()): Promise<HealthCheck> {
  const name = 'backup replication';
  const { bucket, region } = backupLocation(ctx.config);
  const state = await readReplication(ctx);
  if (!state.dataBucketExists) return { name, ok: false, detail: 'no data bucket' };
  if (!state.config) return { name, ok: false, detail: `not set up: nothing reaches ${bucket} (run \`clinica deploy\`)` };
  if (canonicalReplication(state.config) !== canonicalReplication(desiredReplication(ctx))) {
    return { name, ok: false, detail: 'the replication rule was changed by hand (run `clinica deploy`)' };
  }
  const store = await dataStore(ctx);
  let newest: string | undefined;
  for await (const o of store.list(`audit/${now.toISOString().slice(0, 10)}/`)) newest = o.key;
  const status = newest ? (await store.head(newest))?.replicationStatus : undefined;
  const seen = !newest ? 'no audit entry today to sample' : `newest audit entry ${status ?? 'not replicated (written before replication?)'}`;
  return { name, ok: status === 'FAILED' ? false : !newest || status === 'COMPLETED' || status === 'PENDING' ? true : undefined, detail: `to ${bucket} (${region}${replicaKeyArn(ctx) ? ', KMS-encrypted objects too' : ''}); ${seen}` };
}
