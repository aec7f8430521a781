// `clinica upload --bulk` throughput: 40 generated 12-MP JPEGs imported into a local stack.
//   (a) the bare sharp pipeline — same transforms (display, thumb, watermarked shared), same concurrency, the
//       files already in memory, nothing written;
//   (b) `clinica upload --bulk` (the built CLI, a separate process) into the local S3;
// each measured in BENCH_ROUNDS (default 3) interleaved rounds, best of them (the machine is shared);
// then the ratio b/a, the CLI's peak RSS, and an immediate re-run's time (everything is a duplicate);
//   (c) the bare pipeline in a process of its own (the CPU ratio's base);
//   (d) the CLI's own work per image beyond the pipeline (SHA-256, the store's requests, the audit), step by step;
//   and where the CPU of (b) and (c) goes, thread by thread (bench/_threads.js): the main thread, Node's helper
//   threads (V8's optimizing compiler and concurrent GC, libuv's pool) and libvips's workers.
// Targets (issue 5): b/a ≥ 0.85; peak RSS ≤ 600 MB; re-run ≤ 10 % of the first run.
// BENCH_IMAGES=n changes the count; BENCH_KEEP=1 keeps the temp folder.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSecondsOf, fmt, median } from './_stats.js';

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
const threadsPreload = new URL('./_threads.js', import.meta.url).href;

const COUNT = Number(process.env.BENCH_IMAGES ?? 40);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
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
  const cpuSeconds = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };

  // --- (a) the bare pipeline, same concurrency, files preloaded, nothing written
  const inputs = await Promise.all(files.map(async (f) => ({ bytes: await readFile(f.path), patientId: f.patientId })));
  const bare = async () => {
    const started = performance.now();
    const cpu0 = cpuSeconds();
    let k = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (k < inputs.length) {
          const input = inputs[k++];
          await processImage(input.bytes, { maxPixels: config.images.maxPixels, watermark: watermarkFor(config, { patientId: input.patientId, importedAt }) });
        }
      }),
    );
    return { seconds: (performance.now() - started) / 1000, cpu: cpuSeconds() - cpu0 };
  };

  // --- (b) the CLI in its own process; /usr/bin/time gives its CPU time and exact peak RSS when present
  const useTime = existsSync('/usr/bin/time');
  const childrenCpu = () => {
    // the local S3 server (s3rver runs in a child of this process): its CPU is part of the import's cost
    let total = 0;
    try {
      for (const task of readdirSync(`/proc/${process.pid}/task`)) {
        for (const pid of readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
          total += cpuSecondsOf(pid) ?? 0;
        }
      }
    } catch {
      /* no /proc */
    }
    return total;
  };
  /** A child's exit code and everything it printed. */
  const finished = (child) =>
    new Promise((resolve, reject) => {
      let stdout = '';
      let stderr = '';
      child.stdout?.on('data', (c) => (stdout += c));
      child.stderr?.on('data', (c) => (stderr += c));
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  const lastLines = (text, n) => text.trim().split('\n').slice(-n).join(' ');
  // each measured process gets bench/_threads.js and a file of its own to write its threads' CPU to
  let measured = 0;
  const threadsFile = () => join(dir, `threads-${measured++}.json`);
  const threadsOf = (file) => {
    try {
      return JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      return undefined; // no /proc
    }
  };
  const runCli = async (folder) => {
    const started = performance.now();
    const s3Cpu0 = childrenCpu();
    const threads = threadsFile();
    const args = ['--import', threadsPreload, bin, 'upload', '--bulk', folder, '--json', '--concurrency', String(concurrency)];
    const env = { ...process.env, NO_COLOR: '1', CI: '1', CLINICA_BENCH_THREADS: threads };
    const child = useTime
      ? spawn('/usr/bin/time', ['-f', 'CLINICA_TIME %U %S %M', process.execPath, ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let peakKb = 0;
    const timer = useTime
      ? undefined
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) peakKb = Math.max(peakKb, Number(m[1]));
          } catch {
            /* exited, or no /proc */
          }
        }, 20);
    const { code, stdout, stderr } = await finished(child).finally(() => clearInterval(timer));
    const seconds = (performance.now() - started) / 1000;
    const s3Cpu = childrenCpu() - s3Cpu0;
    if (code !== 0) throw new Error(`clinica upload exited ${code}: ${lastLines(stderr, 2)}`);
    let cpu;
    const m = /CLINICA_TIME ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
    if (m) {
      cpu = Number(m[1]) + Number(m[2]);
      peakKb = Number(m[3]);
    }
    return { seconds, cpu, s3Cpu, peakMb: peakKb / 1024, result: JSON.parse(stdout), threads: threadsOf(threads) };
  };

  // (c) the bare pipeline in a process of its own, as the CLI is: node's start, sharp and the font loaded, the
  // files read — what any command doing this work would spend. Printed to show how much of the CLI's extra
  // CPU is the price of being a fresh process rather than its own work; the target stays against (a).
  const BARE_CHILD = `
    const [dist, folder, config, concurrency] = process.argv.slice(1);
    const [{ readdir, readFile }, { join }] = await Promise.all([import('node:fs/promises'), import('node:path')]);
    const [{ processImage }, { watermarkFor }, { loadConfig }] = await Promise.all(['imaging/pipeline.js', 'clinic/images.js', 'config/load.js'].map((m) => import(dist + m)));
    const loaded = loadConfig({ config }, {});
    const files = [];
    for (const patientId of await readdir(folder)) for (const f of await readdir(join(folder, patientId)).catch(() => [])) files.push({ path: join(folder, patientId, f), patientId });
    const importedAt = new Date().toISOString();
    let k = 0;
    await Promise.all(Array.from({ length: Number(concurrency) }, async () => {
      while (k < files.length) {
        const f = files[k++];
        await processImage(await readFile(f.path), { maxPixels: loaded.images.maxPixels, watermark: watermarkFor(loaded, { patientId: f.patientId, importedAt }) });
      }
    }));`;
  const bareProcess = async (folder) => {
    if (!useTime) return undefined;
    const threads = threadsFile();
    const args = ['-f', 'CLINICA_TIME %U %S', process.execPath, '--import', threadsPreload, '--input-type=module', '-e', BARE_CHILD, dist(''), folder, configPath, String(concurrency)];
    const env = { ...process.env, CLINICA_BENCH_THREADS: threads };
    const { code, stderr } = await finished(spawn('/usr/bin/time', args, { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] }));
    const m = /CLINICA_TIME ([\d.]+) ([\d.]+)/.exec(stderr);
    if (code !== 0 || !m) throw new Error(`the bare pipeline's process exited ${code}: ${lastLines(stderr, 4)}`);
    return { cpu: Number(m[1]) + Number(m[2]), threads: threadsOf(threads) };
  };

  // (d) the CLI's own work per image, beyond the pipeline, step by step, in a process of its own (the local S3
  // runs in this one): read the file, hash it, store it (clinic/images.ts storeImage: claim, id index, three
  // copies, original, record, claim done) and audit it (entries grouped as a bulk run groups them) — one image
  // at a time, the copies made once beforehand, so each step's CPU is measured alone. Less noisy than the
  // difference of (b) and (c), it shows where the ratio's excess goes and what a change to one step saves.
  const STEPS_CHILD = `
    const [dist, config, concurrency, ...files] = process.argv.slice(1);
    const { readFile } = await import('node:fs/promises');
    const [{ openContext }, { storeImage, originalFacts, watermarkFor }, { processImage }, { sha256 }, { audit }, { loadConfig }] = await Promise.all(
      ['command-context.js', 'clinic/images.js', 'imaging/pipeline.js', 'imaging/inspect.js', 'clinic/audit.js', 'config/load.js'].map((m) => import(dist + m)));
    const loaded = loadConfig({ config }, {});
    const store = await openContext({ config }, true, loaded).dataStore();
    let requests = 0;
    for (const method of ['put', 'getJson', 'getBytes', 'head', 'list']) {
      const real = store[method]?.bind(store);
      if (real) store[method] = (...args) => (requests++, real(...args));
    }
    const patientId = 'P-999001';
    const copies = await processImage(await readFile(files[0]), { maxPixels: loaded.images.maxPixels, watermark: watermarkFor(loaded, { patientId, importedAt: new Date().toISOString() }) });
    const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e3; };
    const spent = { read: 0, hash: 0, store: 0, audit: 0 };
    const calls = { store: 0, audit: 0 };
    // a bulk run hands audit() its entries concurrency + 1 at a time (image-bulk.ts AuditBatch): so does this
    const batch = Number(concurrency) + 1;
    let entries = [];
    const importOne = async (file, measured, last) => {
      let t = cpu();
      let r = requests;
      const lap = (step) => {
        const now = cpu();
        if (measured) spent[step] += now - t;
        if (measured && step in calls) calls[step] += requests - r;
        t = now;
        r = requests;
      };
      const bytes = await readFile(file);
      lap('read');
      const hash = sha256(bytes);
      lap('hash');
      const stored = await storeImage(store, { patientId, bytes, original: originalFacts(copies.info, hash, 'photo.jpg'), derivatives: copies, metadata: { kind: 'photo', teeth: [] }, actor: 'bench', runId: 'bench-steps' });
      lap('store');
      entries.push({ actor: 'bench', action: 'image.import', patientId, details: { imageId: stored.record.id, kind: 'photo' } });
      if (entries.length < batch && !last) return;
      await Promise.all(entries.map((entry) => audit(store, entry)));
      entries = [];
      lap('audit');
    };
    const warmUp = files.splice(0, 4);
    for (const [i, file] of warmUp.entries()) await importOne(file, false, i === warmUp.length - 1);
    for (const [i, file] of files.entries()) await importOne(file, true, i === files.length - 1);
    const perImage = (o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v / files.length]));
    console.log(JSON.stringify({ cpu: perImage(spent), requests: perImage(calls) }));`;
  const stepsProcess = async () => {
    const args = ['--input-type=module', '-e', STEPS_CHILD, dist(''), configPath, String(concurrency), ...files.map((f) => f.path)];
    const { code, stdout, stderr } = await finished(spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }));
    if (code !== 0) throw new Error(`the steps' process exited ${code}: ${lastLines(stderr, 4)}`);
    return JSON.parse(lastLines(stdout, 1));
  };

  // ROUNDS rounds, interleaved, best of each: the machine is shared, and a burst of someone else's work during
  // one measurement should not decide the ratio. Each round after the first imports the same files for other
  // patients (folders that link to round 1's), so nothing in it is a duplicate.
  const folders = [root];
  for (let round = 2; round <= ROUNDS; round++) {
    const folder = join(dir, `import-${round}`);
    await mkdir(folder, { recursive: true });
    for (let p = 0; p < PATIENTS; p++) {
      const other = (await createPatient(stack.dataStore, { fullName: `Paciente Bench ${round}-${p + 1}`, birthDate: '1980-01-01' }, 'bench')).id;
      await symlink(join(root, patients[p]), join(folder, other), 'dir');
    }
    folders.push(folder);
  }
  await bare(); // warm-up: sharp, the font, the page cache
  const rounds = [];
  for (const folder of folders) {
    const a = await bare();
    const b = await runCli(folder);
    if (b.result.imported !== COUNT) throw new Error(`expected ${COUNT} imported, got ${JSON.stringify(b.result)}`);
    const c = await bareProcess(folder);
    rounds.push({ a, b, c });
  }
  inputs.length = 0;
  const steps = await stepsProcess();
  const rerun = await runCli(root);
  if (rerun.result.duplicates !== COUNT) throw new Error(`the re-run should find ${COUNT} duplicates: ${JSON.stringify(rerun.result)}`);

  const bestA = rounds.map((r) => r.a).sort((x, y) => x.seconds - y.seconds)[0];
  const bestB = rounds.map((r) => r.b).sort((x, y) => x.seconds - y.seconds)[0];
  const bareRate = COUNT / bestA.seconds;
  const cliRate = COUNT / bestB.seconds;
  const ratio = cliRate / bareRate;
  const rerunShare = rerun.seconds / bestB.seconds;
  const peakMb = Math.max(...rounds.map((r) => r.b.peakMb));
  const row = (label, value, note = '') => console.log(`${label.padEnd(40)} ${value.padStart(12)}  ${note}`);
  console.log(`concurrency ${concurrency} (images at once; sharp.concurrency ${sharp.concurrency()} thread each); best of ${rounds.length} interleaved rounds`);
  for (const [i, r] of rounds.entries()) {
    console.log(
      `  round ${i + 1}: bare ${fmt(r.a.seconds)} s (${fmt(r.a.cpu)} CPU-s) · CLI ${fmt(r.b.seconds)} s${r.b.cpu !== undefined ? ` (${fmt(r.b.cpu)} CPU-s + local S3 ${fmt(r.b.s3Cpu)} CPU-s; CLI / bare ${fmt(r.b.cpu / r.a.cpu, 2)})` : ''}` +
        (r.c !== undefined ? ` · bare in its own process ${fmt(r.c.cpu)} CPU-s` : ''),
    );
  }
  row('(a) bare sharp pipeline', `${fmt(bareRate, 2)} img/s`, `${fmt(bestA.seconds)} s`);
  row('(b) clinica upload --bulk (local S3)', `${fmt(cliRate, 2)} img/s`, `${fmt(bestB.seconds)} s, CLI start-up included`);
  row('ratio b/a', fmt(ratio, 2), `target ≥ 0.85 → ${ratio >= 0.85 ? 'met' : 'NOT met'}`);
  if (bestB.cpu !== undefined) row('CPU per image: CLI / bare', fmt(bestB.cpu / bestA.cpu, 2), `(${fmt(bestB.cpu / COUNT, 2)} vs ${fmt(bestA.cpu / COUNT, 2)} CPU-s; the local S3 adds ${fmt(bestB.s3Cpu / COUNT, 2)})`);
  const cold = rounds.filter((r) => r.c !== undefined && r.b.cpu !== undefined);
  if (cold.length) {
    // noise only adds CPU time: the least of each side over the rounds is the steadiest estimate of its cost
    const ratios = cold.map((r) => r.b.cpu / r.c.cpu);
    const leastRatio = Math.min(...cold.map((r) => r.b.cpu)) / Math.min(...cold.map((r) => r.c.cpu));
    row('CPU: CLI / bare in its own process', fmt(leastRatio, 2), `(least ÷ least of ${cold.length} rounds; by round: best ${fmt(Math.min(...ratios), 2)}, median ${fmt(median(ratios), 2)})`);
  }
  {
    const { cpu, requests } = steps;
    const own = cpu.hash + cpu.store + cpu.audit; // the bare pipeline reads its files too
    const bareCpu = (cold.length ? Math.min(...cold.map((r) => r.c.cpu)) : bestA.cpu) / COUNT;
    row(
      "the CLI's own work per image",
      `${fmt(own)} CPU-ms`,
      `= ${fmt((own / 1000 / bareCpu) * 100)} % of the bare pipeline's ${fmt(bareCpu * 1000, 0)}: SHA-256 ${fmt(cpu.hash)}, ` +
        `store ${fmt(cpu.store)} (${fmt(requests.store, 0)} requests), audit ${fmt(cpu.audit)} (${fmt(requests.audit, 2)}); reading the file, as both do: ${fmt(cpu.read)}`,
    );
  }
  // where the CLI's extra CPU goes: each side's threads, the least of the rounds per kind (noise only adds)
  const withThreads = rounds.filter((r) => r.b.threads && r.c?.threads);
  if (withThreads.length) {
    const kinds = ['main', 'helpers', 'libvips'];
    const least = (side) => Object.fromEntries(kinds.map((k) => [k, Math.min(...withThreads.map((r) => r[side].threads[k]))]));
    const cli = least('b');
    const bareThreads = least('c');
    const cells = (o, digits = 2) => kinds.map((k) => fmt(o[k], digits).padStart(9)).join('');
    console.log(`CPU by thread, CPU-s (least of ${withThreads.length} rounds)  ${kinds.map((k) => k.padStart(9)).join('')}`);
    console.log(`  CLI                                        ${cells(cli)}`);
    console.log(`  bare pipeline in its own process           ${cells(bareThreads)}`);
    console.log(`  CLI − bare, CPU-ms per image               ${cells(Object.fromEntries(kinds.map((k) => [k, ((cli[k] - bareThreads[k]) * 1000) / COUNT])), 1)}`);
    // libvips' threads do the same work on both sides (the same processImage on the same bytes): what their
    // CPU differs by is the machine (±15 CPU-ms per image between processes here). The CLI's extra is on its
    // own threads; this ratio counts that alone, over the bare pipeline's whole CPU.
    const bareAll = kinds.reduce((s, k) => s + bareThreads[k], 0);
    const extra = cli.main - bareThreads.main + (cli.helpers - bareThreads.helpers);
    const sameVips = 1 + extra / bareAll;
    row('CPU: CLI / bare, libvips counted equal', fmt(sameVips, 2), `(${fmt((extra * 1000) / COUNT)} CPU-ms per image on the CLI's own threads; target ≤ 1.10 → ${sameVips <= 1.1 ? 'met' : 'NOT met'})`);
  }
  row('peak RSS of the CLI', peakMb ? `${fmt(peakMb, 0)} MB` : 'n/a', peakMb ? `target ≤ 600 MB → ${peakMb <= 600 ? 'met' : 'NOT met'}` : '(no /proc, no /usr/bin/time)');
  row('immediate re-run', `${fmt(rerun.seconds, 2)} s`, `${fmt(rerunShare * 100, 1)} % of the first run; target ≤ 10 % → ${rerunShare <= 0.1 ? 'met' : 'NOT met'}`);
  const load = (() => {
    try {
      return readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
    } catch {
      return undefined;
    }
  })();
  if (load) console.log(`load average at the end: ${load} on ${availableParallelism()} cores (other work on the machine skews wall-clock figures)`);
} finally {
  await stack.stop();
  if (!process.env.BENCH_KEEP) await rm(dir, { recursive: true, force: true });
  else console.log(`kept ${dir}`);
}
