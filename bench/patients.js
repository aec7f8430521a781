// patients list / search cost against the number of patients: seeds 100 and 10,000 patients into two local
// stacks (fast path: records, counter and index written directly, in parallel), then times the built CLI's
// `patients list --json` and `patients list --search <name> --json` on each — median of BENCH_RUNS runs,
// interleaved — and prints the 10,000/100 ratio. Target (issue 4): ratio ≤ 2.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './_cli.js';
import { median, fmt } from './_stats.js';
import { loadConfig, defaultConfigInput } from '../dist/config/load.js';
import { silentLog } from '../dist/log.js';
import { startLocalStack } from '../dist/local/stack.js';
import { formatCpf, generateCpf } from '../dist/clinic/cpf.js';
import { COUNTER_KEY, formatPatientId, listPatients, newPatientRecord, patientKey } from '../dist/clinic/patients.js';
import { summaryOf, writePatientIndex } from '../dist/clinic/patient-index.js';
import { mapLimit } from '../dist/clinic/text.js';

const runs = Number(process.env.BENCH_RUNS ?? 7);
const sizes = (process.env.BENCH_SIZES ?? '100,10000').split(',').map(Number);

const first = ['João', 'Maria', 'José', 'Ana', 'Antônio', 'Francisca', 'Luíza', 'Carlos', 'Paulo', 'Márcia', 'Pedro', 'Lúcia', 'Raimundo', 'Sebastião', 'Conceição', 'Tereza'];
const last = ['Silva', 'Santos', 'Oliveira', 'Souza', 'Lima', 'Pereira', 'Ferreira', 'Alves', 'Araújo', 'Gonçalves', 'Ribeiro', 'Conceição', 'Simões', 'Fictício', 'Exemplo', 'Teste'];
const nameOf = (i) => `${first[i % 16]} ${last[Math.floor(i / 16) % 16]} ${last[Math.floor(i / 256) % 16]} Bench${i}`;
/** the patient both sizes contain, searched for by name without accents */
const TARGET = 42;
const targetSearch = nameOf(TARGET).normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

async function seededStack(n) {
  const dir = await mkdtemp(join(tmpdir(), `clinica-bench-${n}-`));
  const configPath = join(dir, 'clinica.config.json');
  await writeFile(configPath, JSON.stringify({ ...defaultConfigInput, clinic: { ...defaultConfigInput.clinic, name: `Bench ${n}` } }, null, 2));
  const config = loadConfig({ config: configPath }, {}, dir);
  const stack = await startLocalStack({ config, log: silentLog, s3Port: 0, sesPort: 0, serverPort: 0, withComponents: false, publish: true });
  const now = new Date();
  const t0 = performance.now();
  const records = Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    return newPatientRecord(
      formatPatientId(i),
      { fullName: nameOf(i), cpf: formatCpf(generateCpf(100_000 + i)), birthDate: `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 10}`, phone: `+55 11 9${String(i).padStart(4, '0')}-${String(i % 10000).padStart(4, '0')}` },
      'bench:seed',
      now,
    );
  });
  await mapLimit(records, 32, (r) => stack.dataStore.putJson(patientKey(r.id), r));
  await stack.dataStore.putJson(COUNTER_KEY, { next: n + 1 });
  await writePatientIndex(stack.dataStore, records.map((r) => summaryOf(r)));
  const seconds = (performance.now() - t0) / 1000;
  return { n, dir, stack, seconds };
}

const time = (args, cwd) => runCli(args, cwd);

const stacks = [];
try {
  for (const n of sizes) {
    const s = await seededStack(n);
    stacks.push(s);
    console.log(`seeded ${n} patients in ${fmt(s.seconds)} s (records + index, direct writes)`);
  }
  const cases = [
    ['list --json', ['patients', 'list', '--json']],
    [`list --search "${targetSearch}" --json`, ['patients', 'list', '--search', targetSearch, '--json']],
  ];
  // sanity: the CLI sees every patient, and the search finds the one
  for (const s of stacks) {
    const all = JSON.parse((await time(cases[0][1], s.dir)).stdout);
    const found = JSON.parse((await time(cases[1][1], s.dir)).stdout);
    if (all.length !== s.n || found.length !== 1) throw new Error(`unexpected results at ${s.n}: list ${all.length}, search ${found.length}`);
  }
  const times = new Map();
  const inProcess = new Map();
  for (let i = 0; i < runs; i++) {
    for (const s of stacks) {
      for (const [name, args] of cases) {
        const key = `${name}@${s.n}`;
        times.set(key, [...(times.get(key) ?? []), (await time(args, s.dir)).ms]);
      }
      const t0 = performance.now();
      await listPatients(s.stack.dataStore, { search: targetSearch });
      const key = `core@${s.n}`;
      inProcess.set(key, [...(inProcess.get(key) ?? []), performance.now() - t0]);
    }
  }
  const versions = [];
  for (let i = 0; i < runs; i++) versions.push((await time(['--version'], stacks[0].dir)).ms);
  const floor = median(versions);
  const [small, large] = [stacks[0].n, stacks[stacks.length - 1].n];
  console.log(`\npatients — median of ${runs} runs (built CLI, local S3; \`clinica --version\` ${fmt(floor)} ms)`);
  console.log(`${'case'.padEnd(54)} ${String(small).padStart(9)} ${String(large).padStart(9)}   ratio`);
  let worst = 0;
  for (const [name] of cases) {
    const a = median(times.get(`${name}@${small}`));
    const b = median(times.get(`${name}@${large}`));
    worst = Math.max(worst, b / a);
    console.log(`${name.padEnd(54)} ${fmt(a).padStart(6)} ms ${fmt(b).padStart(6)} ms   ${fmt(b / a, 2)}×`);
  }
  const ca = median(inProcess.get(`core@${small}`));
  const cb = median(inProcess.get(`core@${large}`));
  console.log(`${'listPatients({search}) in-process (index read)'.padEnd(54)} ${fmt(ca).padStart(6)} ms ${fmt(cb).padStart(6)} ms   ${fmt(cb / ca, 2)}×`);
  console.log(`target: ${large}/${small} ratio ≤ 2 for the CLI → ${worst <= 2 ? 'met' : 'NOT met'} (worst ${fmt(worst, 2)}×)`);
} finally {
  for (const s of stacks) {
    await s.stack.stop();
    await rm(s.dir, { recursive: true, force: true });
  }
}
