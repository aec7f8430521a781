/**
 * `patients import` on a terminal: the plan is shown and confirmed before anything is written; "no" writes
 * nothing (exit 1), "yes" applies exactly the plan, --yes asks nothing.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readPatientIndex } from '../../src/clinic/patient-index.js';
import { Ui } from '../../src/ui/output.js';
import { useTestStack } from '../helpers/stack.js';
import { Sink } from '../helpers/terminal-sink.js';

/** the answers to confirm prompts, in turn; the questions asked */
const answers: boolean[] = [];
const asked: string[] = [];

vi.mock('@inquirer/prompts', () => ({
  confirm: async ({ message }: { message: string }) => {
    asked.push(message);
    return answers.shift();
  },
}));

const stack = useTestStack();

async function importOnTerminal(file: string, options: { yes?: boolean } = {}) {
  const [{ default: importCsv }, { runCommand }] = await Promise.all([import('../../src/commands/patients/import.js'), import('../../src/commands/action.js')]);
  const stdout = new Sink();
  const ui = new Ui({ yes: options.yes }, { stdout, stderr: new Sink(), env: {}, stdinIsTTY: true });
  const code = await runCommand(importCsv, { args: [file], opts: { config: stack.configPath }, ui, command: undefined as never });
  return { code, stdout: stdout.text };
}

const names = async () => (await readPatientIndex(stack.dataStore)).map((p) => p.fullName).filter((n) => n.startsWith('Termo')).sort();

describe('patients import on a terminal', { timeout: 60_000 }, () => {
  it('shows the plan and asks; "no" writes nothing, "yes" creates the planned rows, --yes asks nothing', async () => {
    const file = join(stack.projectDir, 'termo.csv');
    await writeFile(file, 'Nome;Data de nascimento\nTermo Um;01/01/1971\nTermo Dois;02/02/1972\nTermo Ruim;31/02/1990\n');
    answers.push(false);
    const declined = await importOnTerminal(file);
    expect(declined.code).toBe(1);
    expect(asked).toEqual(['Create 2 patients from ' + file + '?']);
    expect(declined.stdout).toMatch(/To create[\s\S]*Termo Um[\s\S]*Termo Dois/);
    expect(declined.stdout).toMatch(/Rejected because[\s\S]*is not a calendar date/);
    expect(declined.stdout).toContain('not confirmed; nothing was imported');
    expect(await names()).toEqual([]);

    answers.push(true);
    const accepted = await importOnTerminal(file);
    expect(accepted.code).toBe(3); // the bad row: rejected, written to the rejects CSV
    expect(await names()).toEqual(['Termo Dois', 'Termo Um']);

    await writeFile(file, 'Nome;Data de nascimento\nTermo Um;01/01/1971\nTermo Três;03/03/1973\n');
    asked.length = 0;
    const yes = await importOnTerminal(file, { yes: true });
    expect(yes.code).toBe(0);
    expect(asked).toEqual([]);
    expect(await names()).toEqual(['Termo Dois', 'Termo Três', 'Termo Um']);
  });
});
