/**
 * A clinic without a reminder sender (mail.sender: no default, nothing made up): everything runs, and the
 * sending of reminders says in one line what to set — `clinica remind` (exit 2, before any work), its dry run
 * (a warning), and `clinica dev`'s quarter-hour timer (one warning when the stack starts).
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { reminderKey, runReminders } from '../../src/clinic/reminders.js';
import { ClinicaError } from '../../src/errors.js';
import { Ui } from '../../src/ui/output.js';
import { useTestStack } from '../helpers/stack.js';
import { addPatient, book, sp } from '../helpers/reminder-seed.js';

const stack = useTestStack({ config: { mail: {} }, withComponents: true });

function scriptUi() {
  const out = new PassThrough();
  const err = new PassThrough();
  let stderr = '';
  err.on('data', (c) => (stderr += c));
  out.resume();
  return { ui: new Ui({ yes: true }, { stdout: out, stderr: err, env: {}, stdinIsTTY: false }), err: () => stderr };
}

const remind = async (opts: Record<string, unknown>) => {
  const [{ default: run }, { runCommand }] = await Promise.all([import('../../src/commands/remind/run.js'), import('../../src/commands/action.js')]);
  const t = scriptUi();
  const result = await runCommand(run, { args: [], opts: { config: stack.configPath, ...opts }, ui: t.ui, command: undefined as never }).then(
    (code) => ({ code }),
    (error: unknown) => ({ error }),
  );
  return { ...result, stderr: t.err() };
};

describe('no mail.sender', () => {
  it('clinica dev says once that the reminders are off, naming mail.sender', () => {
    const lines = stack.logEntries.filter((e) => e.message.includes('mail.sender'));
    expect(lines.map((e) => [e.level, e.message])).toEqual([
      ['warn', expect.stringMatching(/^reminders are off: mail\.sender is not set: reminders need an address of the clinic to be sent from — set "mail": \{ "sender"/)],
    ]);
  });

  it('clinica remind refuses in one line naming mail.sender (exit 2) before reading anything', async () => {
    const r = await remind({});
    expect('error' in r && r.error).toBeInstanceOf(ClinicaError);
    const err = (r as { error: ClinicaError }).error;
    expect([err.kind, err.exitCode, err.field, err.message]).toEqual(['config', 2, 'mail.sender', 'mail.sender is not set: reminders need an address of the clinic to be sent from']);
    expect(r.stderr).not.toMatch(/reminders at|no reminders due/);
  });

  it('a run that reaches sending (the Lambda, the dev timer) stops before claiming anything, as a config problem', async () => {
    const patient = await addPatient(stack.dataStore, { fullName: 'Ana Sem Remetente', email: 'ana@example.com' });
    const appointment = await book(stack.dataStore, patient.id, '2030-03-12 10:00');
    let opened = 0;
    const summary = await runReminders({
      store: stack.dataStore,
      config: stack.config,
      now: sp('2030-03-12 08:30'),
      actor: 'test',
      openSender: async () => {
        opened++;
        throw new Error('not reached');
      },
    });
    expect(summary.aborted).toMatchObject({ kind: 'config', message: 'mail.sender is not set: reminders need an address of the clinic to be sent from' });
    expect([summary.sent, summary.failed, opened]).toEqual([0, 0, 0]);
    expect(await stack.dataStore.getJson(reminderKey(appointment.id, '2h-before'))).toBeUndefined();
  });

  it('clinica remind --dry-run still shows what is due, with a warning that a real run would send nothing', async () => {
    const r = await remind({ dryRun: true });
    expect(r).toMatchObject({ code: 0 });
    expect(r.stderr).toMatch(/warn mail\.sender is not set: .* \(a real run would send nothing\)\n/);
    expect(r.stderr).toMatch(/no reminders due|dry run at/);
  });
});
