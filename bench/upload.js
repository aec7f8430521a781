// `clinica upload --bulk` throughput: 40 generated 12-MP JPEGs imported into a local stack.
//   (a) the bare sharp pipeline — same transforms (display, thumb, watermarked shared), same concurrency, the
//       files already in memory, nothing written;
//   (b) `clinica upload --bulk` (the built CLI, a separate process) into the local S3;
// then the ratio b/a, the CLI's peak RSS, and an immediate re-run's time (everything is a duplicate).
// Targets (issue 5): b/a ≥ 0.85; peak RSS ≤ 600 MB; re-run ≤ 10 % of the first run.
// BENCH_IMAGES=n changes the count; BENCH_KEEP=1 keeps the temp folder.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt } from './_stats.js';

const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
const [{ loadConfig, defaultConfigInput }, { startLocalStack }, { createPatient }, { processImage, imageConcurrency, loadSharp }, { watermarkFor }, { silentLog }] =
  await Promise.all([
    import(dist('config/load.js')),
    import(dist('local/stack.js')),
    import(dist('clinic/patients.js')),
    import(dist('imaging/pipeline.js')),
    import(dist('clinic/images.js')),
    import(dist('log.js')),
  ]);
const bin = fileURLToPath(new URL('../bin/clinica.js', import.meta.url));

const COUNT = Number(process.env.BENCH_IMAGES ?? 40);
const WIDTH = 4000;
const HEIGHT = 3000;
const PATIENTS = 4;

const dir = await mkdtemp(join(tmpdir(), 'clinica-bench-upload-'));
const configPath = join(dir, 'clinica.config.json');
await writeFile(configPath, JSON.stringify(defaultConfigInput, null, 2));
const config = loadConfig({ config: configPath }, {});
const stack = await startLocalStack({ config, log: silentLog, s3Port: 0, sesPort: 0, serverPort: 0, withComponents: false, publish: true });

try {
  // --- fixtures: 40 distinct 12-MP photos (a smooth scene with fine noise, a distinct patch each)
  const sharp = await loadSharp();
  const patients = [];
  for (let p = 0; p < PATIENTS; p++) patients.push((await createPatient(stack.dataStore, { fullName: `Paciente Bench ${p + 1}`, birthDate: '1980-01-01' }, 'bench')).id);
  const base = Buffer.alloc(WIDTH * HEIGHT * 3);
  let s = 7;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const i = (y * WIDTH + x) * 3;
      s = (s * 1103515245 + 12345) & 0x7fffffff;
      const n = (s >> 16) & 15;
      base[i] = 60 + ((x * 150) / WIDTH) + n;
      base[i + 1] = 40 + ((y * 160) / HEIGHT) + n;
      base[i + 2] = 120 + 50 * Math.sin(x / 90) * Math.cos(y / 70) + n;
    }
  }
  const root = join(dir, 'import');
  const files = [];
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 2 }, async () => {
      while (next < COUNT) {
        const i = next++;
        const raw = Buffer.from(base);
        for (let y = 100 + i * 40; y < 140 + i * 40; y++) raw.fill(i * 6, (y * WIDTH + 200) * 3, (y * WIDTH + 600) * 3);
        const jpeg = await sharp(raw, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
        const patientId = patients[i % PATIENTS];
        await mkdir(join(root, patientId), { recursive: true });
        const path = join(root, patientId, `photo-${String(i).padStart(2, '0')}.jpg`);
        await writeFile(path, jpeg);
        files.push({ path, patientId });
      }
    }),
  );
  const sizes = await Promise.all(files.map((f) => readFile(f.path).then((b) => b.length)));
  console.log(`upload — ${COUNT} JPEGs of ${WIDTH}×${HEIGHT} (${fmt(sizes.reduce((a, b) => a + b, 0) / COUNT / 1e6, 1)} MB average), generated in ${fmt((performance.now() - t0) / 1000)} s`);

  const concurrency = imageConcurrency(config.images.concurrency);
  const importedAt = new Date().toISOString();

  // --- (a) the bare pipeline, same concurrency, files preloaded, nothing written
  const inputs = await Promise.all(files.map(async (f) => ({ bytes: await readFile(f.path), patientId: f.patientId })));
  await processImage(inputs[0].bytes, { maxPixels: config.images.maxPixels, watermark: watermarkFor(config, { patientId: inputs[0].patientId, importedAt }) }); // warm-up
  const ta = performance.now();
  let k = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (k < inputs.length) {
        const input = inputs[k++];
        await processImage(input.bytes, { maxPixels: config.images.maxPixels, watermark: watermarkFor(config, { patientId: input.patientId, importedAt }) });
      }
    }),
  );
  const bareSeconds = (performance.now() - ta) / 1000;
  inputs.length = 0;
  const bareRate = COUNT / bareSeconds;

  // --- (b) the CLI, and (c) an immediate re-run
  const runCli = () =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const child = spawn(process.execPath, [bin, 'upload', '--bulk', root, '--json', '--concurrency', String(concurrency)], {
        cwd: dir,
        env: { ...process.env, NO_COLOR: '1', CI: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let peakKb = 0;
      const sample = () => {
        try {
          const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
          if (m) peakKb = Math.max(peakKb, Number(m[1]));
        } catch {
          /* exited, or no /proc (then RSS is not reported) */
        }
      };
      const timer = setInterval(sample, 20);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.on('error', reject);
      child.on('exit', (code) => {
        clearInterval(timer);
        const seconds = (performance.now() - started) / 1000;
        if (code !== 0) return reject(new Error(`clinica upload exited ${code}: ${stderr.trim().split('\n').pop()}`));
        resolve({ seconds, peakMb: peakKb / 1024, result: JSON.parse(stdout) });
      });
    });
  const first = await runCli();
  if (first.result.imported !== COUNT) throw new Error(`expected ${COUNT} imported, got ${JSON.stringify(first.result)}`);
  const cliRate = COUNT / first.seconds;
  const rerun = await runCli();
  if (rerun.result.duplicates !== COUNT) throw new Error(`the re-run should find ${COUNT} duplicates: ${JSON.stringify(rerun.result)}`);

  const ratio = cliRate / bareRate;
  const rerunShare = rerun.seconds / first.seconds;
  const row = (label, value, note = '') => console.log(`${label.padEnd(44)} ${value.padStart(10)}  ${note}`);
  console.log(`concurrency ${concurrency} (images at once; sharp.concurrency ${sharp.concurrency()} thread each)`);
  row('(a) bare sharp pipeline', `${fmt(bareRate, 2)} img/s`, `${fmt(bareSeconds)} s`);
  row('(b) clinica upload --bulk (local S3)', `${fmt(cliRate, 2)} img/s`, `${fmt(first.seconds)} s, including CLI start-up`);
  row('ratio b/a', fmt(ratio, 2), `target ≥ 0.85 → ${ratio >= 0.85 ? 'met' : 'NOT met'}`);
  row('peak RSS of the CLI (first run)', first.peakMb ? `${fmt(first.peakMb, 0)} MB` : 'n/a', first.peakMb ? `target ≤ 600 MB → ${first.peakMb <= 600 ? 'met' : 'NOT met'}` : '(no /proc)');
  row('immediate re-run', `${fmt(rerun.seconds, 2)} s`, `${fmt(rerunShare * 100, 1)} % of the first run; target ≤ 10 % → ${rerunShare <= 0.1 ? 'met' : 'NOT met'}`);
} finally {
  await stack.stop();
  if (!process.env.BENCH_KEEP) await rm(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
