/**
 * templates/ec2/clinica-update.sh — what puts a new server release on the instance — run for real against a
 * scratch root: `aws` is a stub that serves the data bucket from a folder laid out exactly as deploy uploads
 * it (server-code.ts), `systemctl` a stub that records the restarts.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT, contentHash, deterministicZip, type Bundle } from '../../src/infra/bundle.js';
import type { InfraContext } from '../../src/infra/context.js';
import { CURRENT_KEY, RELEASE_PREFIX, serverRelease, type Release } from '../../src/infra/server-code.js';
import { testConfig } from './helpers.js';

const run = promisify(execFile);
// the instance has unzip and sha256sum (the set-up script installs unzip); a CI machine without them skips
const tools = ['unzip', 'sha256sum'].every((t) => (process.env.PATH ?? '').split(':').some((p) => existsSync(join(p, t))));
const script = join(PACKAGE_ROOT, 'templates', 'ec2', 'clinica-update.sh');
let dir: string;
let root: string;
let s3: string;
let env: NodeJS.ProcessEnv;
const bucket = 'sorriso-prod-data';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clinica-update-'));
  root = join(dir, 'root');
  s3 = join(dir, 's3');
  const bin = join(dir, 'bin');
  await mkdir(join(root, 'etc', 'clinica'), { recursive: true });
  await mkdir(join(root, 'opt', 'clinica', 'releases'), { recursive: true });
  await mkdir(bin, { recursive: true });
  await writeFile(join(root, 'etc', 'clinica', 'deploy.conf'), `CLINICA_BUCKET=${bucket}\nAWS_REGION=sa-east-1\nCLINICA_REMINDERS_FUNCTION=x\n`);
  await writeFile(join(bin, 'aws'), '#!/bin/bash\n# aws s3 cp s3://bucket/key DEST\npath="$FAKE_S3/${3#s3://}"\n[ -f "$path" ] || { echo "fatal error: not found: $3" >&2; exit 1; }\nif [ "$4" = "-" ]; then cat "$path"; else cp "$path" "$4"; fi\n');
  await writeFile(join(bin, 'systemctl'), '#!/bin/bash\necho "$*" >> "$FAKE_LOG"\nexit 0\n');
  await chmod(join(bin, 'aws'), 0o755);
  await chmod(join(bin, 'systemctl'), 0o755);
  env = { PATH: `${bin}:${process.env.PATH}`, CLINICA_ROOT: root, FAKE_S3: s3, FAKE_LOG: join(dir, 'systemctl.log') };
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function release(code: string): Promise<Release> {
  const entries = new Map([['main.mjs', Buffer.from(code)], ['templates/staff/index.html', Buffer.from('<h1>staff</h1>')]]);
  const zip = await deterministicZip(entries);
  const hex = (await import('node:crypto')).createHash('sha256').update(zip).digest('hex');
  const bundle = { name: 'server', zip, hex, sha256: '', contentHash: contentHash(entries), size: zip.length } as Bundle;
  const config = await testConfig();
  const ctx = { config, arns: { region: 'sa-east-1' }, bundle: async () => bundle, facts: {} } as unknown as InfraContext;
  return serverRelease(ctx);
}

/** What planServerCode uploads, into the folder the aws stub serves. */
async function upload(r: Release, options: { corruptZip?: boolean } = {}) {
  const base = join(s3, bucket, RELEASE_PREFIX, r.id);
  await mkdir(base, { recursive: true });
  await writeFile(join(base, 'server.zip'), options.corruptZip ? Buffer.concat([r.zip, Buffer.from('x')]) : r.zip);
  await writeFile(join(base, 'server.env'), r.env);
  await writeFile(join(s3, bucket, CURRENT_KEY), r.pointer);
}

const update = () => run('bash', [script], { env }).then(
  (r) => ({ code: 0, out: r.stdout + r.stderr }),
  (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
);
const restarts = async () => (await readFile(env.FAKE_LOG!, 'utf8').catch(() => '')).split('\n').filter((l) => l.startsWith('restart')).length;
const current = async () => readlink(join(root, 'opt', 'clinica', 'current'));

describe.skipIf(!tools)('clinica-update (the instance side of a server release)', () => {
  it('waits for the first release, installs it, checks hashes, switches, restarts, keeps three', async () => {
    expect((await update()).code).toBe(1); // nothing uploaded yet: the set-up script retries

    const a = await release('console.log("A")');
    await upload(a);
    const first = await update();
    expect(first.out).toContain(`server release ${a.id} installed`);
    expect(await current()).toBe(join(root, 'opt', 'clinica', 'releases', a.id));
    expect(await readFile(join(await current(), 'main.mjs'), 'utf8')).toBe('console.log("A")');
    expect(await readFile(join(root, 'etc', 'clinica', 'server.env'), 'utf8')).toBe(a.env);
    expect(await restarts()).toBe(1);

    // the same release again: nothing to do, no restart
    expect(await update()).toEqual({ code: 0, out: '' });
    expect(await restarts()).toBe(1);

    // a zip that does not match its hash is refused; the running release stays
    const b = await release('console.log("B")');
    await upload(b, { corruptZip: true });
    const bad = await update();
    expect(bad.code).not.toBe(0);
    expect(bad.out).toMatch(/FAILED|did NOT match/);
    expect(await current()).toBe(join(root, 'opt', 'clinica', 'releases', a.id));
    expect(await restarts()).toBe(1);

    await upload(b);
    expect((await update()).code).toBe(0);
    expect(await current()).toBe(join(root, 'opt', 'clinica', 'releases', b.id));
    for (const code of ['C', 'D']) {
      await upload(await release(`console.log("${code}")`));
      expect((await update()).code).toBe(0);
    }
    expect(await restarts()).toBe(4);
    const kept = await readdir(join(root, 'opt', 'clinica', 'releases'));
    expect(kept).toHaveLength(3);
    expect(kept).not.toContain(a.id);
  });
});
