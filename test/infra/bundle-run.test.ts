/**
 * The real image-processor, as deploy zips it (x86_64 here, so this machine can load the zipped sharp), run
 * from its unzipped folder with the environment deploy gives the function, on an S3 event for an original in
 * the local S3 server: the derivatives appear — sharp, the shipped font (the watermark) and the settings all
 * work from inside the zip, with no help from the repo's node_modules.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeEnv } from '../../src/config/runtime.js';
import { PACKAGE_ROOT, buildBundle } from '../../src/infra/bundle.js';
import { deployedConfig } from '../../src/infra/lambdas.js';
import type { InfraContext } from '../../src/infra/context.js';
import { environmentFile, parseEnvironmentFile, serverEnvironment } from '../../src/infra/server-code.js';
import { spawn } from 'node:child_process';
import { useTestStack } from '../helpers/stack.js';
import { unzipTo } from '../helpers/zip.js';

const real = existsSync(join(PACKAGE_ROOT, 'src', 'lambdas', 'image-processor.ts'));
const realServer = existsSync(join(PACKAGE_ROOT, 'src', 'server', 'main.ts'));
const stack = useTestStack();
let dir: string;
const saved = { ...process.env };

beforeAll(async () => {
  if (!real && !realServer) return;
  dir = await mkdtemp(join(tmpdir(), 'clinica-lambda-'));
});
afterAll(async () => {
  process.env = saved;
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!real)('the zipped image-processor', () => {
  it('makes the derivatives of an uploaded original', async () => {
    const bundle = await buildBundle('image-processor', { config: { aws: { architecture: 'x86_64' } as never, stateDir: '' }, buildDir: join(PACKAGE_ROOT, '.clinica', 'build') });
    await unzipTo(bundle.zip, dir);
    const key = 'images/P-000001/I-20260101-abcd1234/original.jpg';
    const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#88aacc' } }).jpeg().toBuffer();
    await stack.dataStore.put(key, jpeg, { contentType: 'image/jpeg' });

    // what deploy sets on the function (+ the local S3 endpoint instead of AWS)
    Object.assign(process.env, runtimeEnv(deployedConfig(stack.config), { s3Endpoint: stack.s3.endpoint }), { AWS_REGION: stack.config.aws.region });
    const { handler } = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as { handler: (e: unknown) => Promise<{ processed: number; failed: number; results: unknown[] }> };
    const summary = await handler({ Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: stack.config.names.dataBucket }, object: { key } } }] });
    expect(summary, JSON.stringify(summary.results)).toMatchObject({ processed: 1, failed: 0 });
    for (const variant of ['display', 'thumb', 'shared']) {
      const body = await stack.dataStore.getBytes(`images/P-000001/I-20260101-abcd1234/${variant}.webp`);
      expect(body, variant).toBeDefined();
      expect((await sharp(body!).metadata()).format).toBe('webp');
    }
  });
});

describe.skipIf(!realServer)('the server release', () => {
  it('starts from its unzipped folder with its EnvironmentFile and answers /health', async () => {
    const bundle = await buildBundle('server', { config: { aws: { architecture: 'x86_64' } as never, stateDir: '' }, buildDir: join(PACKAGE_ROOT, '.clinica', 'build') });
    const target = await mkdtemp(join(tmpdir(), 'clinica-server-'));
    await unzipTo(bundle.zip, target);
    // the EnvironmentFile deploy uploads, read back the way systemd would (quotes, escapes, JSON inside)
    const ctx = { config: stack.config, arns: { region: stack.config.aws.region } } as unknown as InfraContext;
    const vars = parseEnvironmentFile(environmentFile(serverEnvironment(ctx)));
    expect(JSON.parse(vars.CLINICA_CONFIG_JSON!).clinic.name).toBe(stack.config.clinic.name);
    const child = spawn(process.execPath, [join(target, 'main.mjs')], {
      cwd: target,
      env: { PATH: process.env.PATH, ...vars, PORT: '0', HOST: '127.0.0.1', CLINICA_S3_ENDPOINT: stack.s3.endpoint, CLINICA_VERSION: 'test-release' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (c) => {
          out += c;
          const m = /"url":"(http:[^"]+)"/.exec(out);
          if (m) resolve(m[1]!);
        });
        child.stderr!.on('data', (c) => (out += c));
        child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
      });
      const res = await fetch(new URL('/health', url));
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ version: 'test-release' });
      const page = await fetch(new URL('/', url));
      expect(page.status).toBe(200); // the staff page from templates/staff inside the release
      // its script is the bundle of src/web that `npm run build` made here (and `clinica dev` serves)
      const script = await fetch(new URL('/app.js', url));
      expect(Buffer.from(await script.arrayBuffer()).equals(await readFile(join(PACKAGE_ROOT, 'templates', 'staff', 'app.js')))).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await rm(target, { recursive: true, force: true });
    }
  });
});
