/**
 * A patient's own language: in a pt-BR clinic, a patient with `language: 'en'` gets the English e-mail (subject,
 * both bodies, the .ics, English date formats) while the others get pt-BR — checked in the local SES outbox.
 */
import { describe, expect, it } from 'vitest';
import { reminderKey, runReminders, type ReminderRecord } from '../../src/clinic/reminders.js';
import { updatePatient } from '../../src/clinic/patients.js';
import { openSesSender } from '../../src/mail/ses.js';
import { readOutbox, type OutboxMessage } from '../../src/local/ses-server.js';
import { useTestStack } from '../helpers/stack.js';
import { eventStart, prop } from '../helpers/ics-reader.js';
import { addPatient, book, sp, TZ } from '../helpers/reminder-seed.js';

const stack = useTestStack({ config: { reminders: { rules: [{ name: 'day-before', dayBeforeAt: '09:00' }], maxSendRate: 200 } } });


const run = (now: string, config = stack.config) =>
  runReminders({
    store: stack.dataStore,
    config,
    now: sp(now),
    actor: 'test',
    openSender: () =>
      openSesSender({ ...stack.target, endpoints: { ...stack.target.endpoints, ses: stack.ses.endpoint } }, { configured: 200, sender: stack.config.mail.sender, retry: { baseDelayMs: 20, maxDelayMs: 100 } }),
  });

async function only(address: string): Promise<OutboxMessage> {
  const mails = (await readOutbox(stack.ses.endpoint)).filter((m) => m.destination.to.some((t) => t.includes(address)));
  expect(mails).toHaveLength(1);
  return mails[0]!;
}
const icsOf = (mail: OutboxMessage, filename: string) => Buffer.from(mail.attachments.find((a) => a.filename === filename)!.content, 'base64').toString('utf8');

describe("reminders in the patient's language", () => {
  it('a pt-BR clinic sends English to the patient who chose en and Portuguese to the others', async () => {
    expect(stack.config.clinic.locale).toBe('pt-BR');
    const store = stack.dataStore;
    const john = await addPatient(store, { fullName: 'John Smith', email: 'john@example.com', language: 'en' });
    const maria = await addPatient(store, { fullName: 'Maria Souza', email: 'maria@example.com' });
    const a = await book(store, john.id, '2030-04-02 16:15', 'Dr. Who');
    const b = await book(store, maria.id, '2030-04-02 16:15', 'Dr. Who');

    const summary = await run('2030-04-01 09:00');
    expect(summary.sent).toBe(2);

    const en = await only('john@example.com');
    expect(en.subject).toBe(`Reminder: your appointment tomorrow, Apr 2 at 4:15 PM — ${stack.config.clinic.name}`);
    expect(en.body.text).toContain('Hello John,');
    expect(en.body.text).toContain('Tuesday, April 2, 2030');
    expect(en.body.html).toContain('To reschedule or cancel');
    expect(en.body.text).not.toContain('Olá');
    const enIcs = icsOf(en, 'appointment.ics');
    expect(prop(eventStart(enIcs).event, 'SUMMARY')!.value).toBe(`Appointment at ${stack.config.clinic.name} — Dr. Who`);
    expect(eventStart(enIcs).tzid).toBe(TZ);
    expect(eventStart(enIcs).instant.toISOString()).toBe(sp('2030-04-02 16:15').toISOString());

    const pt = await only('maria@example.com');
    expect(pt.subject).toBe(`Lembrete: sua consulta amanhã, 02/04 às 16:15 — ${stack.config.clinic.name}`);
    expect(pt.body.text).toContain('Olá, Maria!');
    expect(pt.body.text).toContain('terça-feira, 2 de abril de 2030');
    expect(prop(eventStart(icsOf(pt, 'consulta.ics')).event, 'SUMMARY')!.value).toBe(`Consulta na ${stack.config.clinic.name} — Dr. Who`);

    const rec = async (id: string) => (await store.getJson<ReminderRecord>(reminderKey(id, 'day-before')))!.value;
    expect((await rec(a.id)).locale).toBe('en');
    expect((await rec(b.id)).locale).toBe('pt-BR');
  });

  it('in an en clinic, a patient who chose pt-BR gets Portuguese; clearing the choice falls back to the clinic', async () => {
    const store = stack.dataStore;
    const ana = await addPatient(store, { fullName: 'Ana Lima', email: 'ana@example.com', language: 'pt-BR' });
    const bob = await addPatient(store, { fullName: 'Bob Jones', email: 'bob@example.com', language: 'pt-BR' });
    await updatePatient(store, bob.id, { language: null }, 'test');
    await book(store, ana.id, '2030-05-07 10:00');
    await book(store, bob.id, '2030-05-07 11:00');
    const en = { ...stack.config, clinic: { ...stack.config.clinic, locale: 'en' as const } };
    expect((await run('2030-05-06 09:00', en)).sent).toBe(2);
    expect((await only('ana@example.com')).subject).toMatch(/^Lembrete: sua consulta amanhã, 07\/05 às 10:00/);
    expect((await only('bob@example.com')).subject).toMatch(/^Reminder: your appointment tomorrow, May 7 at 11:00 AM/);
  });
});
