#!/usr/bin/env node
// npm run bench -- <name> [args…]: builds, then runs bench/<name>.js. Each benchmark prints its figures and
// ratios against a baseline measured in the same run; none of them asserts a time.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(here).filter((f) => f.endsWith('.js') && f !== 'run.js' && !f.startsWith('_')).map((f) => f.slice(0, -3));
const [name, ...rest] = process.argv.slice(2);
if (!name || !available.includes(name)) {
  console.error(`usage: npm run bench -- <${available.join('|')}>`);
  process.exit(2);
}
if (!process.env.BENCH_NO_BUILD) execFileSync('npm', ['run', '-s', 'build'], { stdio: 'inherit', cwd: fileURLToPath(new URL('..', import.meta.url)) });
if (!existsSync(new URL('../dist/cli.js', import.meta.url))) {
  console.error('dist/ is missing: npm run build failed');
  process.exit(1);
}
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.argv = [process.argv[0], `${here}${name}.js`, ...rest];
await import(`./${name}.js`);
