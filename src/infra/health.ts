/**
 * status = the deploy plan (anything not "no change" is drift or missing) plus health: is the instance
 * running and does the backend answer /health (when reachable from here), are the functions Active with
 * their last update successful, are the buckets encrypted and private, is the SES sender verified.
 * A check is ok, failed, or unknown (cannot be seen from here — not counted as unhealthy).
 */
import type { InfraContext } from './context.js';
import type { DeployPlan } from './stack.js';
import { sesQuota, sesSummary, sesVerified } from './ses.js';

export interface HealthCheck {
  name: string;
  ok: boolean | undefined;
  detail: string;
}

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
  for (const ip of [i.privateIp, i.publicIp].filter((x): x is string => Boolean(x))) {
    const url = `http://${ip}:${port}/health`;
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

export async function healthChecks(ctx: InfraContext, plan: DeployPlan, fetcher?: Fetcher): Promise<HealthCheck[]> {
  const checks: HealthCheck[] = [];
  const { observed } = plan;

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

  const ses = observed.ses;
  checks.push({ name: 'SES sender', ok: ses.unknown ? undefined : sesVerified(ses), detail: sesSummary(ses) });
  if (!ses.unknown) checks.push({ name: 'SES sending quota', ok: (ses.quota?.max24h ?? 0) > 0, detail: sesQuota(ses) });
  return checks;
}
