// clinica start-up: CPU time (user+sys) and wall time of `clinica --version`, `clinica --help` and a command's
// --help against `node -e 0` (the floor), median of interleaved runs; and the first watermark a process draws
// (sharp, opentype.js and the font loaded: what `clinica upload` of one image pays before its pixels). CPU is
// the figure the target is on: it does not grow with the machine's load the way wall time does. Target (issue
// 19): --version and --help ≤ 1.10×.
// BENCH_COMPARE=<another checkout, built> runs its bin/clinica.js in the same rounds (before/after figures).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, fmt } from './_stats.js';

const runs = Number(process.env.BENCH_RUNS ?? 21);
const compare = process.env.BENCH_COMPARE;
const bin = fileURLToPath(new URL('../bin/clinica.js', import.meta.url));
const firstWatermark = (root) => `
  const [{ watermarkLayers }, { loadSharp }] = await Promise.all([import('${new URL('dist/imaging/watermark.js', root).href}'), import('${new URL('dist/imaging/sharp.js', root).href}')]);
  await watermarkLayers(800, 600, { text: 'Clínica Sorriso · P-000001 · 07/12/2026', position: 'bottom-right', opacity: 0.5, size: 0.04 }, await loadSharp());`;
const clinica = (prefix, launcher) => [
  [`${prefix}--version`, [launcher, '--version']],
  [`${prefix}--help`, [launcher, '--help']],
  [`${prefix}patients list --help`, [launcher, 'patients', 'list', '--help']],
  [`${prefix}first watermark`, ['--input-type=module', '-e', firstWatermark(new URL('..', pathToFileURL(launcher)))]],
];
const cases = [['node -e 0', ['-e', '0']], ...clinica('clinica ', bin)];
if (compare) cases.push(...clinica('compare ', join(compare, 'bin/clinica.js')));

// bash's `time` reports the child's user and sys time (getrusage) to the millisecond; stdout and stderr of the
// child go to /dev/null, as they do for a script that only wants the exit status
const timed = ['-c', 'TIMEFORMAT="%3U %3S"; time "$@" >/dev/null 2>&1', 'startup-bench', process.execPath];

const cpu = Object.fromEntries(cases.map(([name]) => [name, []]));
const wall = Object.fromEntries(cases.map(([name]) => [name, []]));
spawnSync(process.execPath, [bin, '--version']); // warm the file cache
for (let i = 0; i < runs; i++) {
  for (const [name, args] of cases) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('bash', [...timed, ...args], { encoding: 'utf8' });
    wall[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}: ${r.stderr}`);
    const [user, sys] = r.stderr.trim().split(/\s+/).slice(-2).map(Number);
    cpu[name].push((user + sys) * 1000);
  }
}
const base = median(cpu['node -e 0']);
const ratio = (name) => median(cpu[name]) / base;
console.log(`startup — median of ${runs} interleaved runs each; ratio = CPU ÷ CPU of node -e 0`);
if (compare) console.log(`compare = ${compare}`);
for (const [name] of cases) {
  const figures = `CPU ${fmt(median(cpu[name])).padStart(6)} ms   ratio ${fmt(ratio(name), 2)}×`;
  console.log(`${name.padEnd(32)} ${figures}   wall ${fmt(median(wall[name])).padStart(6)} ms`);
}
const met = ratio('clinica --version') <= 1.1 && ratio('clinica --help') <= 1.1;
console.log(`target: clinica --version and --help ≤ 1.10× → ${met ? 'met' : 'NOT met'}`);
