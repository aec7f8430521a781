/**
 * `patients add` on a terminal: the prompts for missing fields check each answer with the same rules as the
 * flags, so a typo is asked again instead of failing after every question was answered. `patients archive`
 * on a terminal: future appointments are listed and the person chooses what happens to them.
 */
import { describe, expect, it, vi } from 'vitest';
import { Ui } from '../../src/ui/output.js';
import { useTestStack } from '../helpers/stack.js';
import { Sink } from '../helpers/terminal-sink.js';

/** answers per prompt message prefix: each is tried in turn against the prompt's validate, like a person retyping */
const answers: Record<string, string[]> = {};
const refused: Record<string, string[]> = {};
/** the answers to select prompts, in turn; the questions asked */
const choices: string[] = [];
const selectAsked: { message: string; values: string[] }[] = [];

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
  select: async ({ message, choices: offered }: { message: string; choices: { value: string }[] }) => {
    selectAsked.push({ message, values: offered.map((c) => c.value) });
    return choices.shift();
  },
}));

const stack = useTestStack();

describe('patients add prompts (terminal)', { timeout: 60_000 }, () => {
  it('asks again on an invalid name, birth date, CPF or phone, then stores the valid answers', async () => {
    Object.assign(answers, {
      'Full name': ['', '12345', 'Lúcia Prompt'],
      'Birth date': ['31/02/1990', '01/01/2990', '28/02/1990'],
      CPF: ['111.222.333-44', '529.982.247-25'],
      Phone: ['abc', '11 4444-5555'],
    });
    const [{ default: add }, { runCommand }] = await Promise.all([import('../../src/commands/patients/add.js'), import('../../src/commands/action.js')]);
    const stdout = new Sink();
    const ui = new Ui({}, { stdout, stderr: new Sink(), env: {}, stdinIsTTY: true });
    const opts = { config: stack.configPath };
    expect(await runCommand(add, { args: [], opts, ui, command: undefined as never })).toBe(0);
    expect(refused).toEqual({
      'Full name': ['required', '"12345" has no letters'],
      'Birth date': ['"31/02/1990" is not a calendar date', '2990-01-01 is in the future'],
      CPF: ['"111.222.333-44" is not a valid CPF (check digits do not match)'],
      Phone: ['"abc" is not a phone number (e.g. "(11) 98765-4321")'],
    });
    expect(stdout.text).toContain('Lúcia Prompt');
    expect(stdout.text).toContain('1990-02-28');
  });
});

describe('patients archive on a terminal, with future appointments', { timeout: 60_000 }, () => {
  it('lists them (clinic-local time, dentist) and asks: "change nothing" changes nothing (exit 1); "cancel" cancels them', async () => {
    const { createPatient } = await import('../../src/clinic/patients.js');
    const { createAppointment, getAppointment } = await import('../../src/clinic/appointments.js');
    const patient = await createPatient(stack.dataStore, { fullName: 'Téo Terminal', birthDate: '1959-09-09' }, 'test');
    const booked = await createAppointment(stack.dataStore, { patientId: patient.id, dentist: 'Dr. Prompt', at: '2031-09-09 16:45', durationMinutes: 30 }, 'test', { timeZone: 'America/Sao_Paulo' });
    const [{ default: archive }, { runCommand }] = await Promise.all([import('../../src/commands/patients/archive.js'), import('../../src/commands/action.js')]);
    const run = async () => {
      const stdout = new Sink();
      const stderr = new Sink();
      const ui = new Ui({}, { stdout, stderr, env: {}, stdinIsTTY: true });
      const code = await runCommand(archive, { args: [patient.id], opts: { config: stack.configPath }, ui, command: undefined as never });
      return { code, out: stdout.text + stderr.text };
    };
    choices.push('nothing');
    const kept = await run();
    expect(kept.code).toBe(1);
    expect(kept.out).toMatch(/has 1 future appointment; setting the status to archived would leave it booked/);
    expect(kept.out).toMatch(/2031-09-09 16:45.*Dr\. Prompt/);
    expect(kept.out).toContain('nothing was changed');
    expect(selectAsked).toEqual([{ message: 'What about these appointments?', values: ['cancel', 'keep', 'nothing'] }]);
    const { getPatient } = await import('../../src/clinic/patients.js');
    expect((await getPatient(stack.dataStore, patient.id)).patient.status).toBe('active');
    expect((await getAppointment(stack.dataStore, booked.id)).appointment.status).toBe('scheduled');
    choices.push('cancel');
    const cancelled = await run();
    expect(cancelled.code).toBe(0);
    expect(cancelled.out).toContain(`cancelled 1 future appointment: ${booked.id}`);
    expect((await getPatient(stack.dataStore, patient.id)).patient.status).toBe('archived');
    expect((await getAppointment(stack.dataStore, booked.id)).appointment.status).toBe('cancelled');
  });
});
