/**
 * Patients told of changes: a cancel or a move e-mails the patient a calendar update for the entry the reminder
 * put in their calendar — parsed back from the local SES outbox: the same UID, a higher SEQUENCE, METHOD right,
 * once per change, in the patient's language, only with consent; the CLI's cancel/move send it, --no-notify not.
 */
import { describe, expect, it } from 'vitest';
import { cancelAppointment, getAppointment, moveAppointment } from '../../src/clinic/appointments.js';
import { notifyChange } from '../../src/clinic/change-notices.js';
import { runReminders } from '../../src/clinic/reminders.js';
import type { Appointment } from '../../src/clinic/types.js';
import { readOutbox, type OutboxMessage } from '../../src/local/ses-server.js';
import { openSesSender } from '../../src/mail/ses.js';
import { runCli } from '../helpers/cli.js';
import { useTestStack } from '../helpers/stack.js';
import { eventStart, parseIcs, prop } from '../helpers/ics-reader.js';
import { addPatient, book, sp, TZ } from '../helpers/reminder-seed.js';

const stack = useTestStack({ config: { reminders: { rules: [{ name: 'day-before', dayBeforeAt: '09:00' }], quietHours: { start: '21:00', end: '08:00' }, claimTimeoutMinutes: 15, maxSendRate: 200 } } });

const openSender = async () => (await openSesSender({ ...stack.target, endpoints: { ...stack.target.endpoints, ses: stack.ses.endpoint } }, { configured: 200, sender: stack.config.mail.sender })).sender;
const mailsTo = async (address: string) => (await readOutbox(stack.ses.endpoint)).filter((m) => m.destination.to.some((t) => t.includes(address)));

function calendarOf(message: OutboxMessage) {
  const att = message.attachments.find((x) => x.filename?.endsWith('.ics'))!;
  const text = Buffer.from(att.content, 'base64').toString('utf8');
  const { event, instant } = eventStart(text);
  return { method: prop(parseIcs(text), 'METHOD')!.value, uid: prop(event, 'UID')!.value, sequence: Number(prop(event, 'SEQUENCE')!.value), status: prop(event, 'STATUS')!.value, start: instant.toISOString() };
}

const notify = (kind: 'cancel' | 'move', before: Appointment, after: Appointment) =>
  notifyChange({ store: stack.dataStore, config: stack.config, kind, before, after, openSender, actor: 'test', now: sp('2030-03-11 10:00') });

describe('change notices', () => {
  it("a move to another day: METHOD:REQUEST, the reminder's UID, SEQUENCE higher, the new time — once", async () => {
    const bia = await addPatient(stack.dataStore, { fullName: 'Ana Beatriz Souza', preferredName: 'Bia', email: 'bia@example.com' });
    const booked = await book(stack.dataStore, bia.id, '2030-03-12 14:30');
    await runReminders({ store: stack.dataStore, config: stack.config, now: sp('2030-03-11 09:00'), openSender: async () => ({ sender: await openSender() }), actor: 'test' });
    const [reminder] = await mailsTo('bia@example.com');
    const sent = calendarOf(reminder!);
    expect(sent).toMatchObject({ method: 'PUBLISH', sequence: 0 });
    const moved = await moveAppointment(stack.dataStore, booked.id, '2030-03-14 10:00', 'test', { timeZone: TZ, now: sp('2030-03-11 10:00') });
    expect(moved.id).not.toBe(booked.id);
    expect(await notify('move', booked, moved)).toMatchObject({ status: 'sent' });
    const mails = await mailsTo('bia@example.com');
    expect(mails).toHaveLength(2);
    const update = calendarOf(mails[1]!);
    expect(update).toMatchObject({ method: 'REQUEST', uid: sent.uid, status: 'CONFIRMED', start: sp('2030-03-14 10:00').toISOString() });
    expect(update.sequence).toBeGreaterThan(sent.sequence);
    expect(mails[1]!.subject).toMatch(/^Consulta remarcada para .*14 de março de 2030.* às 10:00/);
    expect(mails[1]!.body.text).toContain('Antes:');
    // the same change again (a retried request): nothing more is sent
    expect(await notify('move', booked, moved)).toMatchObject({ status: 'skipped', reason: 'already-sent' });
    expect(await mailsTo('bia@example.com')).toHaveLength(2);
    // then cancelled: METHOD:CANCEL, same UID, SEQUENCE higher still
    const cancelled = await cancelAppointment(stack.dataStore, moved.id, 'test');
    expect(await notify('cancel', moved, cancelled)).toMatchObject({ status: 'sent' });
    const last = calendarOf((await mailsTo('bia@example.com'))[2]!);
    expect(last).toMatchObject({ method: 'CANCEL', uid: sent.uid, status: 'CANCELLED' });
    expect(last.sequence).toBeGreaterThan(update.sequence);
  });

  it("in the patient's language, and only with consent", async () => {
    const eve = await addPatient(stack.dataStore, { fullName: 'Eve Walker', email: 'eve@example.com', language: 'en' });
    const appt = await book(stack.dataStore, eve.id, '2030-03-13 09:00');
    const cancelled = await cancelAppointment(stack.dataStore, appt.id, 'test');
    expect(await notify('cancel', appt, cancelled)).toMatchObject({ status: 'sent' });
    const [mail] = await mailsTo('eve@example.com');
    expect(mail!.subject).toMatch(/^Appointment cancelled: Wednesday, March 13, 2030 at 9:00/);
    expect(calendarOf(mail!)).toMatchObject({ method: 'CANCEL', uid: `${appt.id}@clinica`, sequence: 1 });
    const no = await addPatient(stack.dataStore, { fullName: 'Sem Consentimento', email: 'no@example.com', emailReminders: false });
    const other = await book(stack.dataStore, no.id, '2030-03-13 10:00');
    expect(await notify('cancel', other, await cancelAppointment(stack.dataStore, other.id, 'test'))).toMatchObject({ status: 'skipped', reason: 'no-consent' });
    expect(await mailsTo('no@example.com')).toEqual([]);
  });

  it('the CLI: cancel and move send the notice; --no-notify does not', { timeout: 60_000 }, async () => {
    const cli = (...args: string[]) => runCli(args, { cwd: stack.projectDir });
    const caio = await addPatient(stack.dataStore, { fullName: 'Caio Prado', email: 'caio@example.com' });
    const a = await book(stack.dataStore, caio.id, '2030-04-02 09:00');
    const moved = await cli('appointments', 'move', a.id, '--at', '2030-04-02 11:00');
    expect([moved.code, moved.stdout + moved.stderr]).toEqual([0, expect.stringContaining('patient notified at c')]);
    expect(calendarOf((await mailsTo('caio@example.com'))[0]!)).toMatchObject({ method: 'REQUEST', uid: `${a.id}@clinica`, sequence: 1 });
    const quiet = await cli('appointments', 'cancel', a.id, '--no-notify');
    expect([quiet.code, quiet.stdout + quiet.stderr]).toEqual([0, expect.stringContaining('patient not notified (--no-notify)')]);
    expect(await mailsTo('caio@example.com')).toHaveLength(1);
    expect((await getAppointment(stack.dataStore, a.id)).appointment.status).toBe('cancelled');
  });
});
