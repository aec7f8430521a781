// npm run bench -- web: the staff page's weight — its script (templates/staff/app.js, built from src/web) and
// stylesheet, gzipped, against the budget of 80 KB, and against the page as it was before src/web (the
// hand-written app.js kept in git until then, with today's app.css) as the baseline. What a browser downloads on
// the first visit; afterwards ETags answer 304.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { bundleWeb } from '../scripts/bundle-web.js';
import { fmt } from './_stats.js';

const BUDGET_KB = 80;
const root = fileURLToPath(new URL('..', import.meta.url));
const staff = new URL('../templates/staff/', import.meta.url);

await bundleWeb(); // the sources as they are now (npm run build made it too; this also serves BENCH_NO_BUILD)
const kb = (bytes) => bytes / 1024;
const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const js = readFileSync(new URL('app.js', staff));
const css = readFileSync(new URL('app.css', staff));

/** The last hand-written app.js in git (the parent of the commit that removed it), if this is a git clone. */
function baselineScript() {
  try {
    const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'buffer', stdio: ['ignore', 'pipe', 'ignore'] });
    const removed = git('log', '-1', '--format=%H', '--diff-filter=D', '--', 'templates/staff/app.js').toString().trim();
    return removed ? git('show', `${removed}^:templates/staff/app.js`) : undefined;
  } catch {
    return undefined;
  }
}

const now = { js: gz(js), css: gz(css) };
const total = now.js + now.css;
console.log('staff page, gzipped (level 9):');
console.log(`  app.js   ${fmt(kb(js.length))} KB → ${fmt(kb(now.js))} KB`);
console.log(`  app.css  ${fmt(kb(css.length))} KB → ${fmt(kb(now.css))} KB`);
console.log(`  JS+CSS   ${fmt(kb(total))} KB of the ${BUDGET_KB} KB budget (×${fmt(kb(total) / BUDGET_KB, 2)})${kb(total) > BUDGET_KB ? '  OVER BUDGET' : ''}`);
const old = baselineScript();
if (old) {
  const before = gz(old) + now.css;
  console.log(`  baseline: the hand-written app.js + app.css  ${fmt(kb(before))} KB   now ×${fmt(total / before, 2)} of the baseline`);
} else {
  console.log('  baseline: not measured (no git history of the hand-written app.js here)');
}
