/**
 * The help table the launcher prints `--help` from (dist/help.json: run `npm run build` first) is, for every
 * command, word for word what commander prints through `main`, so the two can never drift.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram, main } from '../src/cli.js';
import { commandPaths } from '../src/help-table.js';
import { runCli } from './helpers/cli.js';

const table = JSON.parse(readFileSync(new URL('../dist/help.json', import.meta.url), 'utf8')) as Record<string, string>;

/** What `clinica …args` prints on stdout when stdout is not a terminal, through commander (no table). */
async function commanderPrints(args: string[]): Promise<string> {
  let out = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += chunk.toString()), true));
  Object.defineProperty(process.stdout, 'isTTY', { value: false, configurable: true });
  try {
    await main(['node', 'clinica', ...args]);
  } finally {
    delete (process.stdout as { isTTY?: boolean }).isTTY;
    vi.restoreAllMocks();
  }
  return out;
}

describe('the help table', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('holds every command, and for each exactly what commander prints for its --help', async () => {
    const paths = commandPaths(buildProgram());
    expect(Object.keys(table).sort()).toEqual(paths.map((path) => path.join(' ')).sort());
    for (const path of paths) {
      const printed = await commanderPrints([...path, '--help']);
      expect(printed, `clinica ${path.join(' ')} --help`).toBe(table[path.join(' ')]);
      expect(process.exitCode).toBe(0);
    }
  });

  it('is what the launcher prints for --help and -h, and what it leaves to commander stays commander’s', async () => {
    for (const args of [['--help'], ['-h'], ['patients', 'list', '--help'], ['appointments', 'add', '-h']]) {
      const r = await runCli(args);
      expect(r, args.join(' ')).toMatchObject({ code: 0, stdout: table[args.slice(0, -1).join(' ')], stderr: '' });
    }
    // not a command's path: commander answers as it always did
    for (const args of [['constructor', '--help'], ['patients', 'lst', '--help'], ['--json', '--help']]) {
      const r = await runCli(args);
      expect(r, args.join(' ')).toEqual({ code: 0, stdout: await commanderPrints(args), stderr: '' });
    }
  });
});
