// The staff page's agenda grid in Chromium: the day of 10 dentists × 40 appointments (15 min each, their whole
// day) and one dentist's week of 40 per day, each against an empty grid measured in the same run. The page runs
// against a local stack's server; /api/dentists and /api/appointments are answered by this script (Playwright
// routes) with the synthetic agenda, so the figure is the page's own work: from the address change to the
// grid laid out (all blocks in the DOM, then two animation frames). Median of BENCH_RUNS runs.
// Target (issue 16): under 100 ms. Also prints what Chromium spent per case on script, style and layout (its
// Performance counters), to see where the time goes. Needs `npm run build` and /usr/bin/chromium.
/* global location, document, requestAnimationFrame */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { median, fmt } from './_stats.js';
import { loadConfig, defaultConfigInput } from '../dist/config/load.js';
import { silentLog } from '../dist/log.js';
import { startLocalStack } from '../dist/local/stack.js';
import { addStaff, setPassword } from '../dist/clinic/staff.js';

const runs = Number(process.env.BENCH_RUNS ?? 9);
const DAY = '2027-03-03'; // a Wednesday
const MONDAY = '2027-03-01';
const colors = ['#0b6e69', '#8e44ad', '#c0392b', '#2471a3', '#b9770e', '#1e8449', '#6c3483', '#a04000', '#117a65', '#34495e'];
const dentists = colors.map((color, i) => ({ id: `d-${i}`, name: `Dra. Bench ${i}`, color, active: true, createdAt: '', updatedAt: '', version: 1 }));
const statuses = ['scheduled', 'confirmed', 'done', 'no-show'];

/** `perColumn` 15-minute appointments from 08:00 for each of the (day, dentist) columns. */
function appointments(columns, perColumn) {
  const list = [];
  for (const [day, d] of columns) {
    for (let j = 0; j < perColumn; j++) {
      const min = 8 * 60 + j * 15;
      const start = `${day}T${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}:00-03:00`;
      list.push({ id: `A-${day}-${d.id}-${j}`, patientId: `P-${String(j).padStart(6, '0')}`, patientName: `Paciente Bench ${j}`, dentist: d.name, dentistId: d.id, start, durationMinutes: 15, status: statuses[j % 4], createdAt: '', updatedAt: '', version: 1 });
    }
  }
  return list;
}
const week = Array.from({ length: 7 }, (_, i) => `2027-03-0${i + 1}`);
const cases = {
  'day, 10 dentists × 40': { hash: `#/agenda?date=${DAY}&dentist=all`, list: appointments(dentists.map((d) => [DAY, d]), 40) },
  'day, empty': { hash: `#/agenda?date=${DAY}&dentist=all`, list: [] },
  "a dentist's week, 7 × 40": { hash: `#/agenda?date=${DAY}&dentist=d-0`, list: appointments(week.map((day) => [day, dentists[0]]), 40) },
  "a dentist's week, empty": { hash: `#/agenda?date=${DAY}&dentist=d-0`, list: [] },
};

const dir = await mkdtemp(join(tmpdir(), 'clinica-bench-agenda-page-'));
const configPath = join(dir, 'clinica.config.json');
await writeFile(configPath, JSON.stringify({ ...defaultConfigInput, clinic: { ...defaultConfigInput.clinic, name: 'Bench agenda page' } }, null, 2));
const config = loadConfig({ config: configPath }, {}, dir);
const stack = await startLocalStack({ config, log: silentLog, s3Port: 0, sesPort: 0, serverPort: 0, withComponents: true, publish: false });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  // a demo account (a local target: no second factor) signed in with e-mail and password, as staff do
  const admin = { email: 'bench.admin@clinica.example', password: 'bench agenda page 2027' };
  const { staff } = await addStaff(stack.dataStore, { name: 'Bench Admin', role: 'admin', email: admin.email, demo: true }, 'bench:seed');
  await setPassword(stack.dataStore, staff.id, admin.password);
  const url = stack.endpoints.server;
  const p = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  let current = cases['day, empty'];
  await p.route('**/api/dentists*', (r) => r.fulfill({ json: { dentists } }));
  await p.route('**/api/chairs', (r) => r.fulfill({ json: { chairs: [] } }));
  await p.route('**/api/appointments?*', (r) => r.fulfill({ json: { from: MONDAY, to: DAY, timeZone: 'America/Sao_Paulo', appointments: current.list } }));
  await p.goto(`${url}/`);
  await p.fill('#login-email', admin.email);
  await p.fill('#login-password', admin.password);
  await p.click('#login-form button[type=submit]');
  await p.waitForSelector('#view-agenda:not([hidden])');
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  // where the time goes, from Chromium's own counters (CDP Performance): script, style, layout per case
  const cdp = await p.context().newCDPSession(p);
  await cdp.send('Performance.enable');
  const counters = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));
  const phases = { ScriptDuration: 'script', RecalcStyleDuration: 'style', LayoutDuration: 'layout' };
  const spent = Object.fromEntries(Object.keys(cases).map((k) => [k, Object.fromEntries(Object.values(phases).map((v) => [v, []]))]));
  for (let r = 0; r < runs + 1; r++) {
    for (const [name, c] of Object.entries(cases)) {
      current = c;
      await p.evaluate(() => (location.hash = '#/patients'));
      await p.waitForSelector('#view-patients:not([hidden])');
      const before = await counters();
      const ms = await p.evaluate(
        ({ hash, blocks, columns }) =>
          new Promise((resolve) => {
            const t0 = performance.now();
            location.hash = hash;
            const check = () => {
              const grid = document.querySelector('#view-agenda:not([hidden]) .day-grid');
              if (grid && grid.querySelectorAll('.block').length === blocks && grid.querySelectorAll('.col-head').length === columns) {
                requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
              } else requestAnimationFrame(check);
            };
            check();
          }),
        { hash: c.hash, blocks: c.list.length, columns: c.hash.endsWith('=all') ? 10 : 7 },
      );
      const after = await counters();
      if (r > 0) {
        times[name].push(ms); // the first round warms the page up
        for (const [k, v] of Object.entries(phases)) spent[name][v].push((after[k] - before[k]) * 1000);
      }
    }
  }
  console.log(`agenda grid in Chromium (median of ${runs}, from the address change to the grid laid out):`);
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
  for (const [full, empty] of [['day, 10 dentists × 40', 'day, empty'], ["a dentist's week, 7 × 40", "a dentist's week, empty"]]) {
    // the empty grid's time is the requests and the cells; what the appointments add is the grid's own work on them
    console.log(`  ${full}: ${fmt(m[full])} ms; ${empty}: ${fmt(m[empty])} ms; ratio ${fmt(m[full] / m[empty], 2)}×; the appointments add ${fmt(m[full] - m[empty])} ms (target: under 100 ms)`);
  }
  for (const [name, by] of Object.entries(spent)) console.log(`  ${name}: ${Object.entries(by).map(([k, v]) => `${k} ${fmt(median(v))} ms`).join(', ')}`);
} finally {
  await browser.close();
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
