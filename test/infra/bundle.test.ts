import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ClinicaError } from '../../src/errors.js';
import { BUNDLES, PACKAGE_ROOT, buildBundle, contentHash, type Architecture } from '../../src/infra/bundle.js';
import { unzip } from '../helpers/zip.js';

/** The repo's own build cache: sharp for linux/<cpu> is installed once, then reused by tests and bench. */
const buildDir = join(PACKAGE_ROOT, '.clinica', 'build');
const fixture = (name: string) => join(PACKAGE_ROOT, 'test', 'infra', 'fixtures', name);
const config = (architecture: Architecture) => ({ aws: { architecture } as never, stateDir: join(PACKAGE_ROOT, '.clinica') });
const realImageProcessor = existsSync(join(PACKAGE_ROOT, 'src', 'lambdas', 'image-processor.ts'));
const realReminders = existsSync(join(PACKAGE_ROOT, 'src', 'lambdas', 'reminders.ts'));


const temps: string[] = [];
afterAll(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

describe('bundles', () => {
  it(`the image-processor zip holds sharp for linux/arm64 (glibc), the watermark font and a source map${realImageProcessor ? '' : ' (fixture handler)'}`, async () => {
    const bundle = await buildBundle('image-processor', { config: config('arm64'), buildDir, ...(realImageProcessor ? {} : { entryFile: fixture('tiny-handler.ts') }) });
    const files = await unzip(bundle.zip);
    const names = [...files.keys()];
    expect(names).toContain('index.mjs');
    expect(names).toContain('index.mjs.map');
    expect(names.find((n) => /^node_modules\/@img\/sharp-linux-arm64\/lib\/sharp-linux-arm64-[\d.]+\.node$/.test(n))).toBeDefined();
    expect(names.find((n) => /^node_modules\/@img\/sharp-libvips-linux-arm64\/lib\/libvips-cpp\.so/.test(n))).toBeDefined();
    expect(names).toContain('node_modules/sharp/package.json');
    expect(names.some((n) => /linuxmusl|x64|darwin/.test(n))).toBe(false); // only what Lambda arm64 loads
    const font = files.get('DejaVuSans.ttf')!;
    expect(font.subarray(0, 4).toString('hex')).toBe('00010000'); // a TrueType file
    const code = files.get('index.mjs')!.toString('utf8');
    expect(code).toMatch(/sourceMappingURL=index\.mjs\.map/);
    expect(code.length / code.split('\n').length).toBeGreaterThan(1000); // minified: long lines
    if (realImageProcessor) expect(code).toMatch(/from"sharp"|from 'sharp'|import\("sharp"\)/);
    expect(bundle.sharp).toBe(true);
    expect(bundle.architecture).toBe('arm64');

    // deterministic: the same code gives the same bytes, so CodeSha256 only changes with the code
    const again = await buildBundle('image-processor', { config: config('arm64'), buildDir, ...(realImageProcessor ? {} : { entryFile: fixture('tiny-handler.ts') }) });
    expect(again.sha256).toBe(bundle.sha256);
  });

  it('an x86_64 bundle runs from its unzipped folder: the zipped sharp loads and works', async () => {
    const bundle = await buildBundle('image-processor', { config: config('x86_64'), buildDir, entryFile: fixture('sharp-handler.ts') });
    const files = await unzip(bundle.zip);
    expect([...files.keys()].find((n) => /sharp-linux-x64-[\d.]+\.node$/.test(n))).toBeDefined();
    const dir = await mkdtemp(join(tmpdir(), 'clinica-bundle-'));
    temps.push(dir);
    for (const [name, body] of files) {
      await mkdir(dirname(join(dir, name)), { recursive: true });
      await writeFile(join(dir, name), body);
    }
    const mod = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as { handler: () => Promise<{ width: number; height: number }> };
    expect(await mod.handler()).toMatchObject({ width: 4, height: 3 });
  });

  it(`the reminders zip carries the e-mail templates and no native modules${realReminders ? '' : ' (fixture handler)'}`, async () => {
    const bundle = await buildBundle('reminders', { config: config('arm64'), buildDir, ...(realReminders ? {} : { entryFile: fixture('tiny-handler.ts') }) });
    const names = [...(await unzip(bundle.zip)).keys()];
    expect(names).toContain('index.mjs');
    if (existsSync(join(PACKAGE_ROOT, 'templates', 'email'))) expect(names.some((n) => n.startsWith('templates/email/'))).toBe(true);
    expect(names.some((n) => n.startsWith('node_modules/'))).toBe(false);
    expect(bundle.sharp).toBe(false);
  });

  it('the content hash is of the entries, not of the zip: other compressed bytes, same hash', async () => {
    const bundle = await buildBundle('reminders', { config: config('arm64'), buildDir, ...(realReminders ? {} : { entryFile: fixture('tiny-handler.ts') }) });
    const entries = await unzip(bundle.zip);
    expect(bundle.contentHash).toBe(contentHash(entries));
    // the same entries stored instead of deflated (as another zlib would give other deflate bytes)
    const { ZipFile } = await import('yazl');
    const stored = new ZipFile();
    for (const [name, body] of [...entries].reverse()) stored.addBuffer(body, name, { compress: false, mtime: new Date() });
    stored.end();
    const chunks: Buffer[] = [];
    for await (const c of stored.outputStream) chunks.push(c as Buffer);
    const other = Buffer.concat(chunks);
    expect(other.equals(bundle.zip)).toBe(false);
    expect(contentHash(await unzip(other))).toBe(bundle.contentHash);
    // while any change of a name or a byte is another hash
    const renamed = new Map([...entries].map(([n, b]) => [n === 'index.mjs' ? 'index2.mjs' : n, b]));
    expect(contentHash(renamed)).not.toBe(bundle.contentHash);
    const edited = new Map([...entries].map(([n, b]) => [n, n === 'index.mjs' ? Buffer.concat([b, Buffer.from(' ')]) : b]));
    expect(contentHash(edited)).not.toBe(bundle.contentHash);
  });

  it('an entry file outside the package resolves the package\'s dependencies (the bench baseline under CLINICA_BUILD_DIR)', async () => {
    const outside = await mkdtemp(join(tmpdir(), 'clinica-outside-'));
    temps.push(outside);
    const entryFile = join(outside, 'handler.mjs');
    await writeFile(entryFile, "import { S3Client, HeadBucketCommand } from '@aws-sdk/client-s3';\nexport const handler = async (e) => new S3Client({}).send(new HeadBucketCommand({ Bucket: e.bucket }));\n");
    const bundle = await buildBundle('reminders', { config: config('arm64'), buildDir: outside, entryFile, spec: { templates: [] } });
    const code = (await unzip(bundle.zip)).get('index.mjs')!.toString('utf8');
    expect(code).toContain('HeadBucketCommand');
    expect(bundle.sharp).toBe(false);
  });

  it('a missing entry point is a clear error', async () => {
    const err = await buildBundle('server', { config: config('arm64'), buildDir, root: await mkdtemp(join(tmpdir(), 'clinica-empty-')) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClinicaError);
    expect((err as ClinicaError).message).toBe(`cannot bundle the server: its entry point dist/${BUNDLES.server.entry}.js (or src/${BUNDLES.server.entry}.ts) does not exist`);
    expect((err as ClinicaError).hint).toMatch(/npm run build/);
  });

  it('refuses a bundle that pulls in terminal code', async () => {
    const err = await buildBundle('reminders', { config: config('arm64'), buildDir, entryFile: fixture('terminal-handler.ts') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClinicaError);
    expect((err as ClinicaError).message).toMatch(/the reminders bundle pulls in ora \(imported by test\/infra\/fixtures\/terminal-handler\.ts\)/);
  });
});
