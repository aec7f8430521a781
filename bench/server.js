// The staff backend under load: GET /api/patients?search= (the staff page's patient list) over 10,000
// patients in the local S3, with a staff token, the network guard and JSON request logs on — against a bare
// node:http server answering the very same JSON body, measured in the same run with the same load generator
// (autocannon, in a child process so it does not share the servers' event loop).
// Targets (issue 7): ≥ 0.3 × the bare server's requests/s, p99 ≤ 50 ms.
// Then the audited single-patient read, GET /api/patients/ID (record and appointments, and an audit entry stored
// before the answer) over BENCH_RECORDS patients in turn, at BENCH_READ_CONNECTIONS (default 50). The server keeps
// opened records in memory (src/server/patient-records.ts); "its two S3 reads alone" is what an opening that is not
// there costs.
// Target (issue 13, item 24): p99 ≤ 100 ms at 50 connections; every read audited (counted after the run).
// Also printed: the S3 calls a read costs (counted on the client) and the local S3's own ceiling — one GET at a
// time per connection, bare HTTP (no SDK) and through the SDK — since a read that needs two S3 answers
// cannot go faster than half of it; and the CPU an answer costs in each process (this one: the backend, its S3
// client and the local S3's proxy; s3rver's; the load generator's), with the answers/s the machine's cores allow
// at that cost — a closed loop of N connections answers in N ÷ rate on average. BENCH_LIST=0 skips the list part.
//   BENCH_SECONDS (default 8) per run, BENCH_CONNECTIONS (default 10), BENCH_PATIENTS (default 10000)
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, defaultConfigInput } from '../dist/config/load.js';
import { startLocalStack } from '../dist/local/stack.js';
import { jsonLinesLog, silentLog } from '../dist/log.js';
import { createBackend } from '../dist/server/app.js';
import { addStaff } from '../dist/clinic/staff.js';
import { writePatientIndex } from '../dist/clinic/patient-index.js';
import { generateCpf } from '../dist/clinic/cpf.js';
import { formatPatientId, patientKey, updatePatient } from '../dist/clinic/patients.js';
import { Store } from '../dist/store/store.js';
import { listPatientAppointments } from '../dist/clinic/patient-appointments.js';
import { listAudit } from '../dist/clinic/audit.js';
import { mapLimit } from '../dist/map-limit.js';
import { cpuSecondsOf, fmt } from './_stats.js';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const count = Number(process.env.BENCH_PATIENTS ?? 10_000);
const readConnections = Number(process.env.BENCH_READ_CONNECTIONS ?? 50);
const records = Number(process.env.BENCH_RECORDS ?? 200);
const withList = process.env.BENCH_LIST !== '0';

const first = ['Ana', 'Beatriz', 'Carlos', 'Daniela', 'Eduardo', 'Fernanda', 'Gabriel', 'Helena', 'Igor', 'Júlia', 'Lucas', 'Mariana', 'Otávio', 'Paula', 'Rafael', 'Sofia', 'Tiago', 'Vitória'];
const last = ['Silva', 'Santos', 'Oliveira', 'Souza', 'Lima', 'Pereira', 'Ferreira', 'Costa', 'Rodrigues', 'Almeida', 'Nascimento', 'Araújo', 'Melo', 'Barbosa', 'Ribeiro', 'Gonçalves'];

function summaries(n) {
  const rows = [];
  for (let i = 1; i <= n; i++) {
    rows.push({
      id: formatPatientId(i),
      fullName: `${first[i % first.length]} ${last[(i * 7) % last.length]} ${last[(i * 13) % last.length]} Teste`,
      cpf: generateCpf(100_000 + i),
      phone: `+55 11 9${String(10_000_000 + i).slice(-8, -4)}-${String(i).padStart(4, '0').slice(-4)}`,
      birthDate: `19${50 + (i % 50)}-0${1 + (i % 9)}-1${i % 9}`,
      status: 'active',
    });
  }
  return rows;
}

/** autocannon in a child process; resolves to its result JSON. With `paths`, each request takes the next one. */
function load(url, headers, { conns = connections, paths } = {}) {
  const script = `
    const autocannon = (await import('autocannon')).default;
    const paths = JSON.parse(process.env.P);
    let next = 0;
    const requests = paths.length ? [{ setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] }) }] : undefined;
    const r = await autocannon({ url: process.env.U, connections: +process.env.C, duration: +process.env.D, headers: JSON.parse(process.env.H), requests });
    const cpu = process.cpuUsage();
    process.stdout.write(JSON.stringify({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, total: r.requests.total, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, U: url, C: String(conns), D: String(seconds), H: JSON.stringify(headers), P: JSON.stringify(paths ?? []) },
      stdio: ['ignore', 'pipe', 'inherit'],
      cwd: new URL('..', import.meta.url).pathname,
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`autocannon exited ${code}`))));
  });
}

const dir = await mkdtemp(join(tmpdir(), 'clinica-bench-server-'));
const configPath = join(dir, 'clinica.config.json');
await writeFile(configPath, JSON.stringify(defaultConfigInput));
const config = loadConfig({ config: configPath }, {});
const stack = await startLocalStack({ config, log: silentLog, dir: join(dir, 'dev'), s3Port: 0, sesPort: 0, withComponents: false });
let backend;
let bare;
try {
  process.stdout.write(`seeding ${count} patients into the local S3 index… `);
  const rows = summaries(count);
  await writePatientIndex(stack.dataStore, rows);
  // full records for the single reads
  const at = new Date().toISOString();
  await mapLimit(rows.slice(0, records), 16, (r) =>
    stack.dataStore.putJson(patientKey(r.id), { ...r, alerts: [], consent: { emailReminders: false }, createdAt: at, updatedAt: at, version: 1 }),
  );
  const { token } = await addStaff(stack.dataStore, { name: 'Bench', role: 'reception' }, 'bench');
  console.log('done');

  // the request log goes through jsonLinesLog, as on EC2 — into the void rather than the terminal
  backend = await createBackend({ config, store: stack.dataStore, log: jsonLinesLog(() => {}), version: 'bench' });
  const url = await backend.listen(0, '127.0.0.1');
  const headers = { authorization: `Bearer ${token}` };
  const path = '/api/patients?search=';

  const t0 = performance.now();
  const cold = await fetch(url + path, { headers });
  const coldMs = performance.now() - t0;
  const body = Buffer.from(await cold.arrayBuffer());
  const parsed = JSON.parse(body.toString());
  if (cold.status !== 200 || parsed.total !== count) throw new Error(`unexpected answer: ${cold.status} total=${parsed.total}`);

  bare = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);
  });
  await new Promise((r) => bare.listen(0, '127.0.0.1', r));
  const bareUrl = `http://127.0.0.1:${bare.address().port}`;

  console.log(`GET ${path} → ${parsed.patients.length} of ${parsed.total} patients, ${body.length} bytes; first (cold) request ${fmt(coldMs)} ms`);
  console.log(`autocannon: ${connections} connections, ${seconds} s per run, loopback\n`);
  const row = (name, r) =>
    console.log(`${name.padEnd(38)} ${fmt(r.rps, 0).padStart(7)} req/s   p50 ${fmt(r.p50, 1).padStart(5)} ms   p99 ${fmt(r.p99, 1).padStart(5)} ms   non-2xx ${r.non2xx + r.errors}`);
  if (withList) {
    const bareResult = await load(bareUrl + path, {});
    const apiResult = await load(url + path, headers);
    const searchResult = await load(`${url}/api/patients?search=silva%20teste`, headers);
    row('bare node:http (same JSON body)', bareResult);
    row('clinica GET /api/patients?search=', apiResult);
    row('clinica GET /api/patients?search=silva teste', searchResult);
    const ratio = apiResult.rps / bareResult.rps;
    console.log(`\nratio clinica / bare: ${fmt(ratio, 2)} (target ≥ 0.30 → ${ratio >= 0.3 ? 'met' : 'NOT met'}); p99 ${fmt(apiResult.p99, 1)} ms (target ≤ 50 → ${apiResult.p99 <= 50 ? 'met' : 'NOT met'})`);
  }

  // the audited single read: every answer waits for its audit entry to be stored
  const readPaths = rows.slice(0, records).map((r) => `/api/patients/${r.id}`);
  const bareRead = await load(bareUrl + path, {}, { conns: readConnections });
  const before = (await listAudit(stack.dataStore, { since: new Date(Date.now() - 60_000) })).filter((e) => e.action === 'patient.read').length;
  // every S3 call the server's client makes during the run, by command (the audit PUTs among them)
  const calls = new Map();
  stack.dataStore.s3.middlewareStack.add((next, ctx) => (args) => {
    const what = `${ctx.commandName.replace(/Command$/, '')} ${String(args.input.Key ?? args.input.Prefix ?? '').split('/')[0]}`;
    calls.set(what, (calls.get(what) ?? 0) + 1);
    return next(args);
  }, { step: 'initialize', name: 'benchCount' });
  // the CPU each process spends on the run: this one (backend, SDK, the local S3's proxy), s3rver's, the load's
  const cpu0 = process.cpuUsage();
  const s3rverCpu0 = cpuSecondsOf(stack.s3.childPid);
  const readResult = await load(url, headers, { conns: readConnections, paths: readPaths });
  const cpuMain = process.cpuUsage(cpu0);
  const s3rverCpu = (cpuSecondsOf(stack.s3.childPid) ?? NaN) - (s3rverCpu0 ?? NaN);
  stack.dataStore.s3.middlewareStack.remove('benchCount');
  const audited = (await listAudit(stack.dataStore, { since: new Date(Date.now() - 600_000) })).filter((e) => e.action === 'patient.read').length - before;
  // the same while another process (a second client on the bucket, as the CLI or a Lambda is) changes one of the
  // records, waits 100 ms, and so on (the rate reached is printed): each change is seen through its shard's marker,
  // and that shard's records are read again
  const elsewhere = new Store(stack.dataStore.s3, stack.dataStore.bucket);
  let changes = 0;
  let changing = true;
  const writer = (async () => {
    while (changing) {
      const id = rows[(changes * 37) % records].id;
      await updatePatient(elsewhere, id, { preferredName: `Outro ${changes++}` }, 'bench:elsewhere');
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const changingResult = await load(url, headers, { conns: readConnections, paths: readPaths });
  changing = false;
  await writer;
  // how long until the server shows a change made elsewhere: five changes, each asked for until it shows
  const seenMs = [];
  for (let i = 0; i < 5; i++) {
    const id = rows[i].id;
    const changedAt = Date.now();
    await updatePatient(elsewhere, id, { preferredName: `Visto ${i}` }, 'bench:elsewhere');
    for (;;) {
      const got = await fetch(`${url}/api/patients/${id}`, { headers }).then((r) => r.json());
      if (got.patient?.preferredName === `Visto ${i}`) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    seenMs.push(Date.now() - changedAt);
    await new Promise((r) => setTimeout(r, 150 + 170 * i));
  }
  // the floor: the same two S3 reads per patient (record, appointment list), no audit and no HTTP,
  // ${readConnections} at a time in this process for the same time
  let floorReads = 0;
  const floorEnd = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: readConnections }, async () => {
    while (Date.now() < floorEnd) {
      const id = rows[floorReads++ % records].id;
      await Promise.all([stack.dataStore.getJson(patientKey(id)), listPatientAppointments(stack.dataStore, id)]);
    }
  }));
  const floorRps = floorReads / seconds;
  // the local S3's ceiling: one GET of a record at a time per connection, bare HTTP (keep-alive, no SDK), then the SDK
  const agent = new http.Agent({ keepAlive: true, maxSockets: readConnections });
  const rawGet = (p) => new Promise((resolve, reject) => http.get(`${stack.s3.endpoint}/${stack.dataStore.bucket}/${p}`, { agent }, (r) => r.resume().on('end', resolve)).on('error', reject));
  const ceiling = async (get) => {
    let n = 0;
    const end = Date.now() + seconds * 1000;
    await Promise.all(Array.from({ length: readConnections }, async () => {
      while (Date.now() < end) await get(patientKey(rows[n++ % Math.min(records, rows.length)].id));
    }));
    return n / seconds;
  };
  const rawRps = await ceiling(rawGet);
  const sdkRps = await ceiling((key) => stack.dataStore.getJson(key));
  agent.destroy();
  console.log(`\nGET /api/patients/ID (audited read) over ${records} patients, ${readConnections} connections`);
  row(`bare node:http, ${readConnections} connections`, bareRead);
  row('clinica GET /api/patients/ID', readResult);
  row(`…while ${fmt(changes / seconds, 0)} records/s change elsewhere`, changingResult);
  console.log(`a change made elsewhere was shown after ${seenMs.map((ms) => fmt(ms, 0)).join(', ')} ms (its write included; the markers are looked at once a second)`);
  const answered = readResult.total - readResult.non2xx - readResult.errors;
  console.log(`${'its two S3 reads alone (no audit, no HTTP)'.padEnd(38)} ${fmt(floorRps, 0).padStart(7)} req/s`);
  console.log(`${'local S3 ceiling: GET, bare HTTP'.padEnd(38)} ${fmt(rawRps, 0).padStart(7)} req/s`);
  console.log(`${'local S3 ceiling: GET through the SDK'.padEnd(38)} ${fmt(sdkRps, 0).padStart(7)} req/s`);
  // per answered read; the server keeps opened records (src/server/patient-records.ts), so most answers read no record
  const perRead = (filter) => [...calls].filter(([k]) => filter(k)).reduce((n, [, c]) => n + c, 0) / Math.max(1, answered);
  console.log(`S3 calls per read: ${fmt(perRead(() => true), 2)} (audit PUTs ${fmt(perRead((k) => k === 'PutObject audit'), 2)}): ${[...calls].map(([k, c]) => `${k} ${c}`).join(', ')}`);
  console.log(`records read from S3: ${calls.get('GetObject patients') ?? 0} for ${answered} answers (the others from the server's memory of opened records; a change elsewhere is seen within 1 s)`);
  console.log(`ratio clinica / its S3 reads alone: ${fmt(readResult.rps / floorRps, 2)}; clinica / bare: ${fmt(readResult.rps / bareRead.rps, 3)}; p99 ${fmt(readResult.p99, 1)} ms (target ≤ 100 → ${readResult.p99 <= 100 ? 'met' : 'NOT met'}); audited ${audited} of ${answered} answered reads`);
  // a closed loop of N connections answers N / rate per request on average: the p99 the SDK ceiling allows
  const readsPer = perRead((k) => !k.startsWith('PutObject'));
  console.log(`at ${fmt(readsPer, 2)} S3 reads per answer the SDK ceiling allows ${fmt(sdkRps / readsPer, 0)} answers/s → ≥ ${fmt((readConnections / (sdkRps / readsPer)) * 1000, 0)} ms mean latency at ${readConnections} connections`);
  // the machine's budget: at this CPU per answer, its cores answer at most this many per second
  const perAnswer = (sec) => (sec * 1000) / Math.max(1, readResult.total);
  const mainMs = perAnswer((cpuMain.user + cpuMain.system) / 1e6);
  const totalMs = mainMs + perAnswer(s3rverCpu) + perAnswer(readResult.cpuSeconds);
  const cores = availableParallelism();
  console.log(
    `CPU per answer: ${fmt(totalMs, 2)} ms — backend process (server, SDK, the local S3's proxy) ${fmt(mainMs, 2)}, s3rver ${fmt(perAnswer(s3rverCpu), 2)}, load generator ${fmt(perAnswer(readResult.cpuSeconds), 2)}; ` +
      `${cores} cores allow ≤ ${fmt((cores * 1000) / totalMs, 0)} answers/s (≥ ${fmt((readConnections * totalMs) / cores, 0)} ms mean at ${readConnections} connections)`,
  );
  console.log('(answers are kept while the index is unchanged — one LIST of its shards\' ETags per second checks that; the cold figure above is a full index read and sort)');
} finally {
  await backend?.close(500);
  await new Promise((r) => (bare ? bare.close(r) : r()));
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
