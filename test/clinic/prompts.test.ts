/**
 * `patients add` on a terminal: the prompts for missing fields check each answer with the same rules as the
 * flags, so a typo is asked again instead of failing after every question was answered.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Ui } from '../../src/ui/output.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

/** answers per prompt message prefix: each is tried in turn against the prompt's validate, like a person retyping */
const answers: Record<string, string[]> = {};
const refused: Record<string, string[]> = {};

vi.mock('@inquirer/prompts', () => ({
  input: async ({ message, validate }: { message: string; validate?: (v: string) => true | string }) => {
    const key = Object.keys(answers).find((k) => message.startsWith(k))!;
    for (const answer of answers[key]!) {
      const verdict = validate ? validate(answer) : true;
      if (verdict === true) return answer;
      (refused[key] ??= []).push(verdict);
    }
    throw new Error(`no valid answer for ${message}`);
  },
}));

class Sink extends Writable {
  text = '';
  isTTY = true;
  override _write(chunk: Buffer, _enc: string, cb: () => void) {
    this.text += chunk.toString();
    cb();
  }
}

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('patients add prompts (terminal)', { timeout: 60_000 }, () => {
  it('asks again on an invalid name, birth date, CPF or phone, then stores the valid answers', async () => {
    Object.assign(answers, {
      'Full name': ['', '12345', 'Lúcia Prompt'],
      'Birth date': ['31/02/1990', '01/01/2990', '28/02/1990'],
      CPF: ['111.222.333-44', '529.982.247-25'],
      Phone: ['abc', '11 4444-5555'],
    });
    const { default: add } = await import('../../src/commands/patients/add.js');
    const stdout = new Sink();
    const ui = new Ui({}, { stdout, stderr: new Sink(), env: {}, stdinIsTTY: true });
    const opts = { config: stack.configPath };
    expect(await add({ args: [], opts, ui, command: undefined as never })).toBe(0);
    expect(refused).toEqual({
      'Full name': ['required', '"12345" has no letters'],
      'Birth date': ['"31/02/1990" is not a calendar date', '2990-01-01 is in the future'],
      CPF: ['"111.222.333-44" is not a valid CPF (check digits do not match)'],
      Phone: ['"abc" is not a phone number (8–15 digits, e.g. "+55 11 98765-4321")'],
    });
    expect(stdout.text).toContain('Lúcia Prompt');
    expect(stdout.text).toContain('1990-02-28');
  });
});
