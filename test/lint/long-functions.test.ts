import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** scripts/long-functions.js over a folder (src/ when none): its exit code and its list. */
const longFunctions = (folder?: string) => {
  const run = spawnSync(process.execPath, ['scripts/long-functions.js', '80', ...(folder ? [folder] : [])], { encoding: 'utf8' });
  return { status: run.status, lines: run.stdout.split('\n').filter(Boolean) };
};

/** A function of `lines` lines in all, with `above` on the line before it. */
const fn = (name: string, lines: number, above = '') =>
  `${above}\nexport function ${name}(): number {\n${'  void 0;\n'.repeat(lines - 3)}  return 1;\n}\n`;

describe('functions over 80 lines', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clinica-long-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('src/ has none without a reason written beside it', { timeout: 120_000 }, () => {
    const { status, lines } = longFunctions();
    expect(lines.filter((l) => !l.includes('(reason:'))).toEqual([]);
    expect(status).toBe(0);
  });

  it('the check fails on a long function without a reason, not on one with a "long:" comment', { timeout: 120_000 }, async () => {
    await writeFile(join(dir, 'a.ts'), fn('shortEnough', 80) + fn('tooLong', 81) + fn('justified', 90, '// long: one case a line of a table read as it is'));
    const { status, lines } = longFunctions(dir);
    expect(lines).toEqual([expect.stringMatching(/^\s+90\s+justified\s+\S+a\.ts:\d+\s+\(reason: given\)$/), expect.stringMatching(/^\s+81\s+tooLong\s+\S+a\.ts:\d+$/)]);
    expect(status).toBe(1);
  });
});
