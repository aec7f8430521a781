// Deployable bundles: builds the image-processor and reminders Lambda zips and the server release zip the way
// `clinica deploy` does (esbuild, minified, source maps, sharp for linux/<cpu> where needed), and prints for
// each its minified JavaScript, its zipped size, its file count and the build time. Baseline, measured in the
// same run: a handler that only imports the S3 client, bundled the same way — the floor every bundle pays.
//   npm run bench -- bundles [arm64|x86_64]
import { mkdir, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt } from './_stats.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { buildBundle, buildDirFor } = await import('../dist/infra/bundle.js');
const architecture = process.argv[2] === 'x86_64' ? 'x86_64' : 'arm64';
const config = { aws: { architecture }, stateDir: join(root, '.clinica') };
const buildDir = buildDirFor(config);
const kb = (n) => `${fmt(n / 1024, 0)} KB`.padStart(9);

// the floor: an S3 client and nothing else
const floorDir = join(buildDir, 'bench-floor');
await mkdir(floorDir, { recursive: true });
const floorEntry = join(floorDir, 'handler.mjs');
await writeFile(floorEntry, "import { S3Client, HeadBucketCommand } from '@aws-sdk/client-s3';\nexport const handler = async (e) => new S3Client({}).send(new HeadBucketCommand({ Bucket: e.bucket }));\n");

const rows = [];
const measure = async (label, name, extra = {}) => {
  const t0 = performance.now();
  const b = await buildBundle(name, { config, buildDir, ...extra });
  rows.push({ label, code: b.codeBytes, zip: b.size, files: b.files.length, ms: performance.now() - t0, sharp: b.sharp });
};

await measure('baseline: S3 client only', 'reminders', { entryFile: floorEntry, spec: { templates: [] } });
for (const name of ['image-processor', 'reminders', 'server']) await measure(name, name);
await rm(floorDir, { recursive: true, force: true });

const floor = rows[0];
console.log(`bundles for linux/${architecture} (esbuild: ESM, minified, linked source maps, node22; sharp installed under ${buildDir})`);
console.log(`${'bundle'.padEnd(26)} ${'JS'.padStart(9)} ${'zip'.padStart(9)} ${'files'.padStart(6)} ${'build'.padStart(8)}   JS vs baseline`);
for (const r of rows) {
  console.log(`${r.label.padEnd(26)} ${kb(r.code)} ${kb(r.zip)} ${String(r.files).padStart(6)} ${`${fmt(r.ms, 0)} ms`.padStart(8)}   ${fmt(r.code / floor.code, 2)}×${r.sharp ? '  (+ sharp for linux)' : ''}`);
}
const lambdaLimit = 50 * 1024 * 1024;
const ip = rows.find((r) => r.label === 'image-processor');
console.log(`image-processor zip: ${fmt((ip.zip / lambdaLimit) * 100, 0)}% of Lambda's 50 MB direct-upload limit`);
