// clinica remind: 2,000 appointments "tomorrow" in a local stack, SES rate set to 50/s.
// As in real use, the stack is `clinica dev` in its own process and the run is `clinica remind --json`, a
// second process (what cron starts). Prints the planning time (start of the run → first send), the total time,
// and the achieved send rate as a fraction of the allowed rate — the baseline is the rate limiter's own
// ceiling, measured in the same run. Then a second run, which must send nothing. Targets (issue 6):
// ≥ 0.9 of the allowed rate, planning ≤ 2 s.
// "Tomorrow" is relative to the run's clock (--at): the appointments are 30 days ahead, so the stack's own
// 15-minute reminders timer (real time) never finds them due while the benchmark runs.
//   BENCH_APPOINTMENTS (default 2000), BENCH_RATE (default 50)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmt } from './_stats.js';

const { loadConfig, defaultConfigInput } = await import('../dist/config/load.js');
const { s3Client, LOCAL_CREDENTIALS } = await import('../dist/aws/clients.js');
const { Store } = await import('../dist/store/store.js');
const { newPatientRecord, patientKey, formatPatientId } = await import('../dist/clinic/patients.js');
const { appointmentKey } = await import('../dist/clinic/appointments.js');
const { mapLimit } = await import('../dist/map-limit.js');
const { addDays, formatZoned, todayIn, zonedToInstant } = await import('../dist/clinic/time.js');
const { readOutbox } = await import('../dist/local/ses-server.js');

const COUNT = Number(process.env.BENCH_APPOINTMENTS ?? 2000);
const RATE = Number(process.env.BENCH_RATE ?? 50);
const BIN = fileURLToPath(new URL('../bin/clinica.js', import.meta.url));
const env = { ...process.env, NO_COLOR: '1', CI: '1', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

const dir = await mkdtemp(join(tmpdir(), 'clinica-bench-remind-'));
const configPath = join(dir, 'clinica.config.json');
await writeFile(configPath, JSON.stringify({ ...defaultConfigInput, reminders: { maxSendRate: RATE } }));
const config = loadConfig({ config: configPath }, {});

// the stack: `clinica dev` in its own process, found through .clinica/dev/endpoints.json
const dev = spawn(process.execPath, [BIN, 'dev', '--s3-port', '0', '--ses-port', '0', '--port', '0'], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
let devErr = '';
dev.stderr.on('data', (c) => (devErr += c));
const endpointsPath = join(dir, '.clinica', 'dev', 'endpoints.json');
for (let i = 0; !existsSync(endpointsPath); i++) {
  if (dev.exitCode !== null || i > 600) throw new Error(`clinica dev did not start: ${devErr}`);
  await new Promise((r) => setTimeout(r, 100));
}
const endpoints = JSON.parse(await readFile(endpointsPath, 'utf8'));

function remind(args) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [BIN, 'remind', '--json', ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        resolve({ code, wallMs: performance.now() - started, summary: JSON.parse(out) });
      } catch {
        reject(new Error(`clinica remind exited ${code}: ${err}`));
      }
    });
  });
}

try {
  const tz = config.clinic.timeZone;
  const runDay = addDays(todayIn(tz), 29);
  const apptDay = addDays(runDay, 1);
  const store = new Store(await s3Client({ region: endpoints.region, endpoints: { s3: endpoints.s3 }, credentials: { ...LOCAL_CREDENTIALS }, s3Compatible: true }), endpoints.dataBucket);

  // seed: records written directly (the clinic API's per-booking checks are not what is measured here)
  const t0 = performance.now();
  const created = new Date().toISOString();
  await mapLimit(Array.from({ length: COUNT }, (_, i) => i), 32, async (i) => {
    const id = formatPatientId(i + 1);
    const patient = newPatientRecord(id, { fullName: `Paciente Bench ${i + 1}`, birthDate: '1980-01-01', email: `bench${i + 1}@example.com`, emailReminders: true }, 'bench');
    await store.putJson(patientKey(id), patient);
    const minutes = 8 * 60 + (i % 40) * 15; // 08:00 … 17:45, 20 dentists
    const start = zonedToInstant(apptDay, `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`, tz);
    const id2 = `A-${apptDay.replace(/-/g, '')}-b${String(i).padStart(5, '0')}`;
    await store.putJson(appointmentKey(id2), {
      id: id2,
      patientId: id,
      dentist: `Dr. Bench ${i % 20}`,
      start: formatZoned(start, tz),
      durationMinutes: 15,
      status: 'scheduled',
      createdAt: created,
      updatedAt: created,
      version: 1,
    });
  });
  console.log(`seeded ${COUNT} patients and ${COUNT} appointments on ${apptDay} in ${fmt((performance.now() - t0) / 1000)} s`);

  // the day-before reminders are due from 09:00 the day before (clinic time): run as of 09:01
  const first = await remind(['--at', `${runDay}T09:01`, '--rule', 'day-before']);
  const s = first.summary;
  const outbox = await readOutbox(endpoints.ses);
  const planning = s.timings.firstSendMs ?? NaN;
  const sendingSeconds = (s.timings.totalMs - planning) / 1000;
  const achieved = s.sent / sendingSeconds;
  const ratio = achieved / RATE;
  console.log(`\nremind — ${COUNT} appointments tomorrow, SES rate ${RATE}/s (clinica dev + clinica remind --json, separate processes)`);
  console.log(`exit ${first.code}: sent ${s.sent}, failed ${s.failed}; the outbox holds ${outbox.length} messages to ${new Set(outbox.map((m) => m.destination.to[0])).size} addresses`);
  console.log(`planning (run start → first send) ${fmt(planning / 1000, 2).padStart(7)} s   target ≤ 2 s → ${planning <= 2000 ? 'met' : 'NOT met'}   (first reminder ready at ${fmt(s.timings.planningMs / 1000, 2)} s)`);
  console.log(`total (run)                       ${fmt(s.timings.totalMs / 1000, 2).padStart(7)} s   process wall ${fmt(first.wallMs / 1000, 2)} s; the limiter's floor: ${fmt((COUNT - 1) / RATE, 2)} s`);
  console.log(`achieved send rate                ${fmt(achieved, 2).padStart(7)} /s  = ${fmt(ratio, 3)} × allowed ${RATE}/s   target ≥ 0.9 → ${ratio >= 0.9 ? 'met' : 'NOT met'}`);

  const second = await remind(['--at', `${runDay}T09:16`, '--rule', 'day-before']);
  console.log(`second run (15 min later)         ${fmt(second.summary.timings.totalMs / 1000, 2).padStart(7)} s   exit ${second.code}: sent ${second.summary.sent}, already-sent ${second.summary.skipped['already-sent'] ?? 0}`);
  if (s.sent !== COUNT || second.summary.sent !== 0 || outbox.length !== COUNT) {
    console.error('unexpected counts: every reminder must be sent exactly once');
    process.exitCode = 1;
  }
} finally {
  const exited = new Promise((r) => dev.once('close', r));
  dev.kill('SIGTERM');
  await exited;
  await rm(dir, { recursive: true, force: true });
}
