// `npm test`'s first step (the `pretest` script): the Debian packages the tests need — Chromium for the browser
// tests of the staff page and the public site (driven by playwright-core at /usr/bin/chromium), unzip for the
// EC2 update script's test, pebble (and openssl for its certificates) for the ACME tests. A fresh machine would otherwise fail dozens of browser tests one by one. As root
// with apt-get (a container, a CI runner) they are installed; otherwise it stops at once with one line saying
// what to install. CLINICA_TEST_CHROMIUM_PATH moves where Chromium is looked for (this script's own test).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const onPath = (command) => (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));

const needs = [
  { pkg: 'chromium', present: () => existsSync(process.env.CLINICA_TEST_CHROMIUM_PATH || '/usr/bin/chromium') },
  { pkg: 'unzip', present: () => onPath('unzip') },
  // Let's Encrypt's ACME test server: the certificate tests run the real protocol against it
  { pkg: 'pebble', present: () => existsSync('/usr/bin/pebble') && existsSync('/usr/bin/pebble-challtestsrv') },
  { pkg: 'openssl', present: () => onPath('openssl') },
];

const missing = () => needs.filter((n) => !n.present()).map((n) => n.pkg);
let absent = missing();
if (absent.length === 0) process.exit(0);

const install = `apt-get install -y ${absent.join(' ')}`;
if (process.getuid?.() === 0 && onPath('apt-get')) {
  process.stderr.write(`npm test: installing ${absent.join(' and ')} (Debian packages the tests need)…\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...absent]]) {
    const run = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (run.status !== 0) break;
  }
  absent = missing();
  if (absent.length === 0) process.exit(0);
  process.stderr.write(`npm test: \`${install}\` did not install ${absent.join(' and ')} — install it by hand, then run npm test again\n`);
  process.exit(1);
}
process.stderr.write(`npm test needs ${absent.join(' and ')} (browser and packaging tests): install it first — on Debian or Ubuntu \`sudo ${install}\` — then run npm test again\n`);
process.exit(1);
