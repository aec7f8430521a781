/**
 * "na Clínica Sorriso", not "em Clínica Sorriso": the clinic's name takes the word the sentence needs
 * (clinic.preposition, else a default from its first word), in the reminder and the change notice and in the
 * calendar entry's title — read back from the local SES outbox, as a patient's mail app would. Every HTML
 * e-mail is its body inside the one shared layout.
 */
import { describe, expect, it } from 'vitest';
import { moveAppointment } from '../../src/clinic/appointments.js';
import { notifyChange } from '../../src/clinic/change-notices.js';
import { runReminders } from '../../src/clinic/reminders.js';
import { readOutbox, type OutboxMessage } from '../../src/local/ses-server.js';
import { atClinic } from '../../src/mail/reminder-email.js';
import { openSesSender } from '../../src/mail/ses.js';
import { eventStart, prop, unescapeText } from '../helpers/ics-reader.js';
import { addPatient, book, sp, TZ } from '../helpers/reminder-seed.js';
import { useTestStack } from '../helpers/stack.js';

const stack = useTestStack({
  config: { clinic: { name: 'Consultório Bem-Estar', preposition: 'no' }, reminders: { rules: [{ name: 'day-before', dayBeforeAt: '09:00' }], maxSendRate: 200 } },
});

const openSender = async () => (await openSesSender({ ...stack.target, endpoints: { ...stack.target.endpoints, ses: stack.ses.endpoint } }, { configured: 200, sender: stack.config.mail.sender })).sender;
const mailsTo = async (address: string) => (await readOutbox(stack.ses.endpoint)).filter((m) => m.destination.to.some((t) => t.includes(address)));
const calendarTitle = (mail: OutboxMessage) => {
  const ics = Buffer.from(mail.attachments.find((a) => a.filename?.endsWith('.ics'))!.content, 'base64').toString('utf8');
  return unescapeText(prop(eventStart(ics).event, 'SUMMARY')!.value);
};

describe("the clinic's name in sentences", () => {
  it('defaults from the first word: na Clínica, no Consultório, em a bare name; the setting wins; English says "at"', () => {
    expect(atClinic('pt-BR', { name: 'Clínica Sorriso' })).toBe('na Clínica Sorriso');
    expect(atClinic('pt-BR', { name: 'Consultório Dr. Lima' })).toBe('no Consultório Dr. Lima');
    expect(atClinic('pt-BR', { name: 'Sorriso Odonto' })).toBe('em Sorriso Odonto');
    expect(atClinic('pt-BR', { name: 'Dentistas Associados', preposition: 'nos' })).toBe('nos Dentistas Associados');
    expect(atClinic('en', { name: 'Clínica Sorriso', preposition: 'na' })).toBe('at Clínica Sorriso');
  });

  it('the reminder and the change notice say "no Consultório …", in the text, the HTML and the calendar title', async () => {
    const store = stack.dataStore;
    const bia = await addPatient(store, { fullName: 'Beatriz Souza', preferredName: 'Bia', email: 'bia@example.com' });
    const pedro = await addPatient(store, { fullName: 'Pedro Lima', email: 'carla@example.com', guardian: { name: 'Carla Lima', relationship: 'mãe' } });
    const john = await addPatient(store, { fullName: 'John Smith', email: 'john@example.com', language: 'en' });
    const booked = await book(store, bia.id, '2030-03-12 14:30', 'Dra. Ana');
    await book(store, pedro.id, '2030-03-12 15:30', 'Dra. Ana');
    await book(store, john.id, '2030-03-12 16:30', 'Dra. Ana');
    const run = await runReminders({ store, config: stack.config, now: sp('2030-03-11 09:00'), openSender: async () => ({ sender: await openSender() }), actor: 'test' });
    expect(run.sent).toBe(3);

    const [reminder] = await mailsTo('bia@example.com');
    expect(reminder!.body.text).toContain('sua consulta no Consultório Bem-Estar');
    expect(reminder!.body.text).not.toMatch(/\bem Consultório/);
    expect(calendarTitle(reminder!)).toBe('Consulta no Consultório Bem-Estar — Dra. Ana');
    const [guardian] = await mailsTo('carla@example.com');
    expect(guardian!.body.text).toContain('consulta de Pedro no Consultório Bem-Estar');
    expect(calendarTitle(guardian!)).toBe('Consulta de Pedro no Consultório Bem-Estar — Dra. Ana');
    const [english] = await mailsTo('john@example.com');
    expect(english!.body.text).toContain('This is a reminder of your appointment at Consultório Bem-Estar:');
    expect(calendarTitle(english!)).toBe('Appointment at Consultório Bem-Estar — Dra. Ana');

    const moved = await moveAppointment(store, booked.id, '2030-03-14 10:00', 'test', { timeZone: TZ, now: sp('2030-03-11 10:00') });
    const notice = await notifyChange({ store, config: stack.config, kind: 'move', before: booked, after: moved, openSender, actor: 'test', now: sp('2030-03-11 10:00') });
    expect(notice).toMatchObject({ status: 'sent' });
    const change = (await mailsTo('bia@example.com'))[1]!;
    expect(change.body.text).toContain('A sua consulta no Consultório Bem-Estar mudou de horário');
    expect(change.body.html).toContain('A sua consulta no Consultório Bem-Estar mudou de horário');
    expect(calendarTitle(change)).toBe('Consulta no Consultório Bem-Estar — Dra. Ana');

    // one layout: each HTML e-mail is one document whose title is its subject, with the clinic's name on top
    for (const mail of [reminder!, change, english!]) {
      expect(mail.body.html!.match(/<!DOCTYPE html>/g)).toHaveLength(1);
      expect(mail.body.html).toContain(`<title>${mail.subject.replace(/&/g, '&amp;')}</title>`);
      expect(mail.body.html).toMatch(/<h1 [^>]*>Consultório Bem-Estar<\/h1>/);
    }
    expect(english!.body.html).toContain('<html lang="en">');
    expect(change.body.html).toContain('<html lang="pt-BR">');
  });
});
