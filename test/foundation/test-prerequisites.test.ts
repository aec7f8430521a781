/**
 * `npm test` on a fresh machine: its pretest step (scripts/test-prerequisites.js) installs the Debian packages
 * the tests need when it can (root and apt-get), and otherwise stops at once with one line saying what to
 * install — instead of dozens of failing browser tests. The real script, run as npm runs it; apt-get is a
 * stand-in on PATH that "installs" Chromium by creating the file the script looks for.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SCRIPT = new URL('../../scripts/test-prerequisites.js', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };

/** A PATH holding only node, `unzip` (a stand-in) and, when given, an apt-get stand-in. */
function fakeBin(aptGet?: string): string {
  const bin = mkdtempSync(join(tmpdir(), 'clinica-bin-'));
  symlinkSync(process.execPath, join(bin, 'node'));
  writeFileSync(join(bin, 'unzip'), '#!/bin/sh\n', { mode: 0o755 });
  if (aptGet) {
    writeFileSync(join(bin, 'apt-get'), aptGet);
    chmodSync(join(bin, 'apt-get'), 0o755);
  }
  return bin;
}

const run = (env: Record<string, string>) =>
  spawnSync(process.execPath, [SCRIPT], { env, encoding: 'utf8', timeout: 20_000 });

describe('npm test on a machine without Chromium', () => {
  it('is the first step of npm test', () => {
    expect(pkg.scripts.pretest).toBe('node scripts/test-prerequisites.js');
  });

  it('passes silently when everything is there', () => {
    const chromium = join(mkdtempSync(join(tmpdir(), 'clinica-chr-')), 'chromium');
    writeFileSync(chromium, '');
    const result = run({ PATH: fakeBin(), CLINICA_TEST_CHROMIUM_PATH: chromium });
    expect([result.status, result.stderr]).toEqual([0, '']);
  });

  it.skipIf(process.getuid?.() !== 0)('as root with apt-get, installs Debian\'s chromium and carries on', () => {
    const chromium = join(mkdtempSync(join(tmpdir(), 'clinica-chr-')), 'chromium');
    const calls = `${chromium}.calls`;
    const aptGet = `#!/bin/sh\necho "$@" >> '${calls}'\ncase "$1" in install) : > '${chromium}';; esac\n`;
    const result = run({ PATH: fakeBin(aptGet), CLINICA_TEST_CHROMIUM_PATH: chromium });
    expect(result.status).toBe(0);
    expect(readFileSync(calls, 'utf8')).toBe('update -qq\ninstall -y -qq chromium\n');
    expect(existsSync(chromium)).toBe(true);
    expect(result.stderr).toBe('npm test: installing chromium (Debian packages the tests need)…\n');
  });

  it('without a way to install it, stops at once with one line saying what to install', () => {
    const result = run({ PATH: fakeBin(), CLINICA_TEST_CHROMIUM_PATH: '/nonexistent/chromium' });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe('npm test needs chromium (browser and packaging tests): install it first — on Debian or Ubuntu `sudo apt-get install -y chromium` — then run npm test again\n');
  });
});
