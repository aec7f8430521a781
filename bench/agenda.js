// Free slots against a full agenda: seeds 20,000 appointments for 10 dentists over 60 days into a local stack
// (fast path: records and each day's index written directly, in parallel), then times freeSlots() over those
// 60 days (every free 30-min slot of every dentist) — median of BENCH_RUNS runs, cold (every day index read, as
// a CLI run) and warm (only changed days re-read, as the server) — against the same query over 60 empty days in
// the same run, and prints the ratios. Target (issue 16): under 200 ms with 20,000 appointments.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, fmt } from './_stats.js';
import { loadConfig, defaultConfigInput } from '../dist/config/load.js';
import { silentLog } from '../dist/log.js';
import { startLocalStack } from '../dist/local/stack.js';
import { agendaCalendar } from '../dist/clinic/agenda-calendar.js';
import { appointmentKey, daySlots } from '../dist/clinic/appointments.js';
import { addDentist } from '../dist/clinic/dentists.js';
import { freeSlots } from '../dist/clinic/free-slots.js';
import { mapLimit } from '../dist/map-limit.js';
import { Store } from '../dist/store/store.js';
import { addDays, formatZoned, zonedToInstant } from '../dist/clinic/time.js';

const runs = Number(process.env.BENCH_RUNS ?? 9);
const total = Number(process.env.BENCH_APPOINTMENTS ?? 20_000);
const DAYS = 60;
const FULL_FROM = '2027-01-04';
const EMPTY_FROM = '2028-01-03';
const TZ = 'America/Sao_Paulo';

const dir = await mkdtemp(join(tmpdir(), 'clinica-bench-agenda-'));
const configPath = join(dir, 'clinica.config.json');
await writeFile(configPath, JSON.stringify({ ...defaultConfigInput, clinic: { ...defaultConfigInput.clinic, name: 'Bench agenda', hours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat'], open: '07:00', close: '21:00' }] } }, null, 2));
const config = loadConfig({ config: configPath }, {}, dir);
const stack = await startLocalStack({ config, log: silentLog, s3Port: 0, sesPort: 0, serverPort: 0, withComponents: false, publish: false });
try {
  const store = stack.dataStore;
  const dentists = [];
  for (let i = 0; i < 10; i++) dentists.push(await addDentist(store, { name: `Dra. Bench ${i}` }, 'bench:seed'));
  // open days of the range (Monday to Saturday), each dentist's day filled in 15-min steps, 30-min bookings
  const days = Array.from({ length: DAYS }, (_, i) => addDays(FULL_FROM, i)).filter((d) => new Date(`${d}T12:00:00Z`).getUTCDay() !== 0);
  const perDentistDay = Math.ceil(total / (days.length * dentists.length));
  const t0 = performance.now();
  const byDay = new Map(days.map((d) => [d, []]));
  let n = 0;
  const stamp = new Date().toISOString();
  outer: for (const date of days) {
    for (const [k, dentist] of dentists.entries()) {
      for (let j = 0; j < perDentistDay; j++) {
        if (n >= total) break outer;
        const minutes = 7 * 60 + ((j * 30 + k * 15) % (14 * 60 - 30));
        const at = zonedToInstant(date, `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`, TZ);
        const id = `A-${date.replace(/-/g, '')}-b${String(n).padStart(5, '0')}`;
        byDay.get(date).push({ id, patientId: `P-${String(1 + (n % 5000)).padStart(6, '0')}`, dentist: dentist.name, dentistId: dentist.id, start: formatZoned(at, TZ), durationMinutes: 30, status: 'scheduled', createdAt: stamp, updatedAt: stamp, version: 1 });
        n++;
      }
    }
  }
  const all = [...byDay.values()].flat();
  await mapLimit(all, 32, (a) => store.putJson(appointmentKey(a.id), a));
  await mapLimit([...byDay], 16, ([date, list]) => store.putJson(`locks/agenda/${date}.json`, { n: 1, slots: daySlots(list) }));
  console.log(`seeded ${all.length} appointments for ${dentists.length} dentists over ${DAYS} days in ${fmt((performance.now() - t0) / 1000)} s`);

  const calendar = agendaCalendar(config);
  const now = new Date('2026-12-01T12:00:00Z');
  const query = (from) => ({ from, to: addDays(from, DAYS - 1), durationMinutes: 30, now });
  // cold: a fresh Store each time (as a CLI run: every day index read); warm: one Store (as the server: only
  // days changed since its last query are read again)
  const times = { 'full cold': [], 'empty cold': [], 'full warm': [], 'empty warm': [] };
  const counts = {};
  for (let r = 0; r < runs; r++) {
    for (const [name, from] of [['full', FULL_FROM], ['empty', EMPTY_FROM]]) {
      for (const [mode, s] of [['cold', new Store(store.s3, store.bucket)], ['warm', store]]) {
        const t = performance.now();
        const slots = await freeSlots(s, query(from), calendar);
        times[`${name} ${mode}`].push(performance.now() - t);
        counts[name] = slots.length;
      }
    }
  }
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  console.log(`free slots over ${DAYS} days, 10 dentists, 30 min (median of ${runs}; ${counts.empty} slots empty, ${counts.full} full):`);
  for (const mode of ['cold', 'warm']) {
    console.log(`  ${mode}: empty agenda ${fmt(m[`empty ${mode}`])} ms, ${all.length} appointments ${fmt(m[`full ${mode}`])} ms — ratio ${fmt(m[`full ${mode}`] / m[`empty ${mode}`], 2)}×`);
  }
  console.log(`  target < 200 ms with ${all.length} appointments: warm ${m['full warm'] < 200 ? 'met' : 'NOT met'}, cold ${m['full cold'] < 200 ? 'met' : 'NOT met'}`);
} finally {
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
