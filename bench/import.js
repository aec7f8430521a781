// `patients import` speed on the local stack: the built CLI imports a CSV of BENCH_ROWS rows (default 50,000, the
// size issue 13 measured, ≈2 minutes; every other row with a CPF, as a clinic's old system exports them) into a
// fresh stack, then runs the same file again (the re-run must create no one). Printed: rows/s of the first run,
// the re-run's time, and — measured in the same run on the same stack as the baseline, from a process of its own
// as the CLI is — the rate of bare conditional PutObject calls of record-sized JSON at the import's concurrency:
// the ratio says how many S3 writes a row costs, against the least it can (its record and, for a row with a CPF,
// its claim: one conditional PUT each). Target (issue 13, item 25): ≥ 500 rows/s.
// BENCH_COMPARE=/path/to/another/checkout (built) also imports the file with that checkout's CLI, into a fresh
// bucket of the same local S3, and prints the ratio of the two rates (e.g. against main).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './_cli.js';
import { fmt } from './_stats.js';
import { defaultConfigInput, loadConfig } from '../dist/config/load.js';
import { silentLog } from '../dist/log.js';
import { startLocalStack } from '../dist/local/stack.js';
import { formatCpf, generateCpf } from '../dist/clinic/cpf.js';

const rows = Number(process.env.BENCH_ROWS ?? 50_000);
const first = ['João', 'Maria', 'José', 'Ana', 'Antônio', 'Francisca', 'Luíza', 'Carlos', 'Paulo', 'Márcia', 'Pedro', 'Lúcia'];
const last = ['Silva', 'Santos', 'Oliveira', 'Souza', 'Lima', 'Pereira', 'Ferreira', 'Alves', 'Araújo', 'Gonçalves'];

function csv(n) {
  const lines = ['Nome;CPF;Data de nascimento;Telefone;E-mail;Alergias;Observações'];
  for (let i = 1; i <= n; i++) {
    const cpf = i % 2 ? formatCpf(generateCpf(300_000 + i)) : '';
    lines.push(`${first[i % 12]} ${last[i % 10]} ${last[Math.floor(i / 10) % 10]} Import${i};${cpf};${String(1 + (i % 28)).padStart(2, '0')}/0${1 + (i % 9)}/19${50 + (i % 50)};(11) 9${String(i % 10_000).padStart(4, "0")}-${String(Math.floor(i / 10_000)).padStart(4, "0")};p${i}@example.com;${i % 5 ? '' : 'penicilina'};primeira consulta`);
  }
  return lines.join('\n') + '\n';
}

const compare = process.env.BENCH_COMPARE;

/** The CLI's --json result and its time in seconds. */
const run = async (args, cwd, cli) => {
  const { ms, stdout } = await runCli(args, cwd, cli);
  return { seconds: ms / 1000, result: JSON.parse(stdout) };
};

const dir = await mkdtemp(join(tmpdir(), 'clinica-bench-import-'));
const configPath = join(dir, 'clinica.config.json');
await writeFile(configPath, JSON.stringify(defaultConfigInput, null, 2));
const config = loadConfig({ config: configPath }, {}, dir);
const stack = await startLocalStack({ config, log: silentLog, s3Port: 0, sesPort: 0, serverPort: 0, withComponents: false, publish: true });
try {
  const file = join(dir, 'pacientes.csv');
  await writeFile(file, csv(rows));

  // baseline: bare conditional PutObject of a record-sized JSON, 32 at a time (the import's concurrency), same stack
  const puts = Math.min(rows, 4000);
  const putRate = Number((await runCli([stack.s3.endpoint, stack.dataStore.bucket, String(puts), '32'], dir, fileURLToPath(new URL('./_puts.js', import.meta.url)))).stdout.trim());

  const once = await run(['patients', 'import', file, '--json'], dir);
  if (once.result.created.length !== rows) throw new Error(`expected ${rows} created, got ${once.result.created.length} (rejected ${once.result.rejected.length})`);
  const again = await run(['patients', 'import', file, '--json'], dir);
  if (again.result.created.length !== 0 || again.result.existing.length !== rows) throw new Error(`the re-run created ${again.result.created.length}`);

  const rate = rows / once.seconds;
  let other;
  if (compare) {
    // the same file into an empty bucket of the same stack: another clinic name is another bucket
    const otherDir = join(dir, 'compare');
    await mkdir(otherDir);
    const otherConfig = { ...defaultConfigInput, clinic: { ...defaultConfigInput.clinic, name: 'Bench Compare' } };
    await writeFile(join(otherDir, 'clinica.config.json'), JSON.stringify(otherConfig, null, 2));
    const otherStack = await startLocalStack({ config: loadConfig({ config: join(otherDir, 'clinica.config.json') }, {}, otherDir), log: silentLog, s3Port: 0, sesPort: 0, serverPort: 0, withComponents: false, publish: true });
    try {
      other = await run(['patients', 'import', file, '--json'], otherDir, join(compare, 'bin/clinica.js'));
    } finally {
      await otherStack.stop();
    }
  }
  console.log(`patients import of ${rows} rows (half with a CPF), built CLI, local S3`);
  console.log(`${'bare conditional PutObject (32 at a time)'.padEnd(44)} ${fmt(putRate, 0).padStart(6)} PUT/s`);
  console.log(`${'first run (all created)'.padEnd(44)} ${fmt(rate, 0).padStart(6)} rows/s   ${fmt(once.seconds, 1)} s`);
  console.log(`${'re-run (all already present)'.padEnd(44)} ${fmt(rows / again.seconds, 0).padStart(6)} rows/s   ${fmt(again.seconds, 1)} s`);
  if (other) console.log(`${`first run with ${compare}`.padEnd(44)} ${fmt(rows / other.seconds, 0).padStart(6)} rows/s   ${fmt(other.seconds, 1)} s   → this checkout ${fmt(other.seconds / once.seconds, 2)}× its rate`);
  // the least a row can cost: its record, and the claim of its CPF (every other row); the audit entries and the
  // index rows are shared by many rows
  const leastPuts = 1 + Math.ceil(rows / 2) / rows;
  // the import's S3 writes run as many at a time, in a process that stays warm for the whole file: a row can
  // take less than its writes' time in the short baseline
  console.log(`\nratio rows/s ÷ bare PUT/s: ${fmt(rate / putRate, 2)} (a row, which makes at least ${fmt(leastPuts, 1)} conditional writes, costs the time of ≈ ${fmt(putRate / rate, 1)} bare ones)`);
  console.log(`target: ≥ 500 rows/s → ${rate >= 500 ? 'met' : 'NOT met'} (${fmt(rate, 0)} rows/s)`);
} finally {
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
