// clinica start-up: median wall time of `clinica --version`, `clinica --help` and `node -e 0` (the floor).
// Target (issue 3): --version ≤ 1.3 × node -e 0.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, fmt } from './_stats.js';

const runs = Number(process.env.BENCH_RUNS ?? 21);
const bin = fileURLToPath(new URL('../bin/clinica.js', import.meta.url));
const cases = [
  ['node -e 0', ['-e', '0']],
  ['clinica --version', [bin, '--version']],
  ['clinica --help', [bin, '--help']],
];
const times = {};
for (const [name] of cases) times[name] = [];
spawnSync(process.execPath, [bin, '--version']); // warm the file cache
for (let i = 0; i < runs; i++) {
  for (const [name, args] of cases) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { stdio: 'ignore' });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0) throw new Error(`${name} exited ${r.status}`);
    times[name].push(ms);
  }
}
const base = median(times['node -e 0']);
console.log(`startup — median of ${runs} runs each (interleaved)`);
for (const [name] of cases) {
  const m = median(times[name]);
  console.log(`${name.padEnd(20)} ${fmt(m).padStart(7)} ms   ratio ${fmt(m / base, 2)}× node -e 0`);
}
console.log(`target: clinica --version ≤ 1.30× → ${median(times['clinica --version']) / base <= 1.3 ? 'met' : 'NOT met'}`);
