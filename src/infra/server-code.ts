/**
 * How the backend's code reaches the EC2 instance: a release in the data bucket, pulled by the instance.
 *
 *   deploy/server/<release>/server.zip   the bundle (main.mjs + map, templates/staff, …)
 *   deploy/server/<release>/server.env   its settings (runtimeEnv + PORT/HOST), a systemd EnvironmentFile
 *   deploy/server/current                "<release> <sha256 of zip> <sha256 of env>" — written last
 *
 * The release id is a hash of the bundle's contents (its entries, not the zip's bytes, which differ between
 * machines) and of the settings, so a code or config change is a new release and nothing else is.
 * On the instance, a systemd timer (clinica-update, every minute, and at boot) compares `current` with what
 * it runs, downloads with the instance role, checks both SHA-256s, unpacks, and restarts the service: the
 * backend is down for the restart only (≈1–2 s), within a minute of the deploy. The instance is never
 * replaced for a code change, so its IP addresses stay.
 */
import { createHash } from 'node:crypto';
import { runtimeEnv } from '../config/runtime.js';
import { Store } from '../store/store.js';
import { awsCall, type InfraContext } from './context.js';
import { deployedConfig, formatBytes } from './lambdas.js';
import { deleteStep, step, type Step } from './plan.js';
import { resource } from './resource.js';
import type { BucketRead } from './s3-bucket.js';
import { emptyBucket } from './s3-bucket.js';

export const RELEASE_PREFIX = 'deploy/server/';
export const CURRENT_KEY = `${RELEASE_PREFIX}current`;

export interface Release {
  id: string;
  zip: Buffer;
  env: string;
  zipSha: string;
  envSha: string;
  pointer: string;
}

/** A systemd EnvironmentFile: KEY="value" with \ " ` $ escaped (values are JSON, never multi-line). */
export function environmentFile(vars: Record<string, string>): string {
  return (
    Object.entries(vars)
      .map(([k, v]) => `${k}="${v.replace(/[\\"`$]/g, (c) => `\\${c}`)}"`)
      .join('\n') + '\n'
  );
}

/** Reads an EnvironmentFile back (tests; the inverse of environmentFile). */
export function parseEnvironmentFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)="(.*)"$/.exec(line);
    if (m) out[m[1]!] = m[2]!.replace(/\\([\\"`$])/g, '$1');
  }
  return out;
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

export function serverEnvironment(ctx: InfraContext): Record<string, string> {
  return {
    ...runtimeEnv(deployedConfig(ctx.config, true)),
    AWS_REGION: ctx.arns.region,
    HOST: '0.0.0.0',
    PORT: String(ctx.config.network.serverPort),
    NODE_ENV: 'production',
    // the unit starts /opt/clinica/current/main.mjs through a symlink: tell main.ts it is the entry point
    CLINICA_SERVER_MAIN: '1',
  };
}

export async function serverRelease(ctx: InfraContext): Promise<Release> {
  const bundle = await ctx.bundle('server');
  const vars = serverEnvironment(ctx);
  // the contents' hash, not the zip's: another machine zips the same code into other bytes (another zlib)
  const id = sha256(bundle.contentHash + '\n' + environmentFile(vars)).slice(0, 16);
  const env = environmentFile({ ...vars, CLINICA_VERSION: id });
  const zipSha = bundle.hex;
  const envSha = sha256(env);
  return { id, zip: bundle.zip, env, zipSha, envSha, pointer: `${id} ${zipSha} ${envSha}\n` };
}

export const dataStore = (ctx: InfraContext) => new Store(ctx.clients.s3, ctx.names.dataBucket, ctx.where);

export async function readCurrentRelease(ctx: InfraContext, bucketExists: boolean): Promise<string | undefined> {
  if (!bucketExists) return undefined;
  const text = await awsCall(ctx, `reading ${CURRENT_KEY}`, () => dataStore(ctx).getBytes(CURRENT_KEY));
  return text?.toString('utf8').trim().split(/\s+/)[0] || undefined;
}

export async function planServerCode(ctx: InfraContext, current: string | undefined): Promise<Step> {
  const release = await serverRelease(ctx);
  ctx.facts.serverRelease = current;
  const upload = async () => {
    const store = dataStore(ctx);
    const dir = `${RELEASE_PREFIX}${release.id}/`;
    await awsCall(ctx, 'uploading the server release', async () => {
      await store.put(`${dir}server.zip`, release.zip, { contentType: 'application/zip' });
      await store.put(`${dir}server.env`, release.env, { contentType: 'text/plain; charset=utf-8' });
      await store.put(CURRENT_KEY, release.pointer, { contentType: 'text/plain; charset=utf-8', cacheControl: 'no-cache' });
    });
    ctx.facts.serverRelease = release.id;
  };
  const what = current ? `release ${current} → ${release.id}: the instance pulls it within a minute (restart ≈ 2 s)` : `upload release ${release.id}`;
  return step({
    id: 'server-code',
    component: 'server',
    kind: 'server release',
    name: `s3://${ctx.names.dataBucket}/${RELEASE_PREFIX}`,
    exists: current !== undefined,
    changes: current === release.id ? [] : [{ what, apply: upload }],
    createWhy: `no release yet: upload ${release.id} (${formatBytes(release.zip.length)})`,
    upToDateWhy: `release ${release.id}`,
  });
}

// --- the resource shape ---

/** The server's releases live in the data bucket: destroy deletes them when that bucket is ours and kept. */
export const serverCode = resource({
  id: 'server-code',
  read: async (ctx, stage) => readCurrentRelease(ctx, (await stage.state<BucketRead>('data-bucket')).state.exists),
  plan: planServerCode,
  destroy(ctx, current, stage) {
    const data = stage.state<BucketRead>('data-bucket');
    if (current === undefined || !data.state.exists || stage.deletePatientData || !stage.ours('data-bucket')) return undefined;
    return deleteStep({ id: 'server-code', component: 'server', kind: 'server release', name: `s3://${ctx.names.dataBucket}/${RELEASE_PREFIX}`, why: 'stage destroyed' }, () =>
      awsCall(ctx, 'deleting the server releases', () => emptyBucket(ctx.clients.s3, ctx.names.dataBucket, { prefix: RELEASE_PREFIX }).then(() => undefined)),
    );
  },
});
