import { describe, expect, it } from 'vitest';
import { buildIcs, escapeIcsText, foldLine } from '../../src/mail/ics.js';
import { greetingName, reminderAddressee, reminderMime, renderReminderEmail } from '../../src/mail/reminder-email.js';
import { renderTemplate } from '../../src/mail/templates.js';
import { eventStart, parseIcs, prop, unescapeText } from '../helpers/ics-reader.js';

const clinic = {
  name: 'Clínica <Sorriso> & Cia',
  address: 'Rua das Flores, 123 — Centro; São Paulo',
  phone: '+55 11 4000-0000',
  email: 'contato@clinica.example',
  timeZone: 'America/Sao_Paulo',
};
const appointment = { id: 'A-20261201-abc123', start: new Date('2026-12-01T17:30:00Z'), durationMinutes: 45, dentist: 'Dra. Ana "Lima"' };

describe('templates', () => {
  it('escapes values in HTML, keeps sections only for non-empty values, and refuses unknown names', () => {
    const t = '<p>{{a}}</p>{{#b}}<i>{{b}}</i>{{/b}}{{#c}}gone{{/c}}';
    expect(renderTemplate(t, { a: '<x> & "y"', b: "it's", c: '' }, { html: true })).toBe('<p>&lt;x&gt; &amp; &quot;y&quot;</p><i>it&#39;s</i>');
    expect(renderTemplate('{{a}}', { a: '<x>' }, { html: false })).toBe('<x>');
    expect(() => renderTemplate('{{nope}}', {}, { html: false })).toThrow(/unknown value \{\{nope\}\}/);
  });

  it('greets by the preferred name, else the first name', () => {
    expect(greetingName({ fullName: 'Maria da Silva', preferredName: 'Mari' })).toBe('Mari');
    expect(greetingName({ fullName: '  Maria da Silva ' })).toBe('Maria');
  });
});

describe('reminder e-mail', () => {
  it('pt-BR: date and time in the clinic zone, every value escaped in HTML, no clinical detail', () => {
    const now = new Date('2026-11-30T12:00:00Z');
    const email = renderReminderEmail({ locale: 'pt-BR', clinic, patientName: 'Zé <b>', appointment, now });
    expect(email.subject).toBe('Lembrete: sua consulta amanhã, 01/12 às 14:30 — Clínica <Sorriso> & Cia');
    expect(email.text).toContain('Olá, Zé <b>!');
    expect(email.text).toContain('terça-feira, 1 de dezembro de 2026');
    expect(email.text).toContain('Horário:  14:30 (Horário Padrão de Brasília)');
    expect(email.text).toContain('Dentista: Dra. Ana "Lima"');
    expect(email.text).toContain('ligue para +55 11 4000-0000');
    expect(email.html).toContain('Olá, Zé &lt;b&gt;!');
    expect(email.html).toContain('Clínica &lt;Sorriso&gt; &amp; Cia');
    expect(email.html).toContain('Dra. Ana &quot;Lima&quot;');
    expect(email.html).not.toMatch(/<b>|<Sorriso>/);
    expect(email.html).toContain('href="tel:+551140000000"');
    expect(email.html).not.toContain('{{');
    expect(email.text).not.toContain('{{');
  });

  it('en: English wording and 12-hour time ("9:30 AM")', () => {
    const email = renderReminderEmail({ locale: 'en', clinic, patientName: 'Joe', appointment, now: new Date('2026-12-01T09:00:00Z') });
    expect(email.subject).toBe('Reminder: your appointment today, Dec 1 at 2:30 PM — Clínica <Sorriso> & Cia');
    expect(email.text).toContain('Hello Joe,');
    expect(email.text).toContain('Tuesday, December 1, 2026');
    expect(email.text).toContain('To reschedule or cancel');
    expect(email.icsFilename).toBe('appointment.ics');
    // a morning hour without a leading zero, as English writes it
    const morning = renderReminderEmail({ locale: 'en', clinic, patientName: 'Joe', appointment: { ...appointment, start: new Date('2026-12-01T12:30:00Z') }, now: new Date('2026-11-30T12:00:00Z') });
    expect(morning.subject).toBe('Reminder: your appointment tomorrow, Dec 1 at 9:30 AM — Clínica <Sorriso> & Cia');
    expect(morning.text).toContain('Time:     9:30 AM (');
    expect(morning.html).toContain('<strong>9:30 AM</strong>');
  });

  it('a patient with a guardian: the guardian is greeted and told whose appointment it is (pt-BR and en)', () => {
    const child = { fullName: 'Pedro Amostra Lima', guardian: { name: 'Carla Amostra Lima', relationship: 'mãe' } };
    expect(reminderAddressee(child)).toEqual({ greeting: 'Carla', appointmentFor: 'Pedro' });
    expect(reminderAddressee({ fullName: 'Maria da Silva' })).toEqual({ greeting: 'Maria' });
    const { greeting, appointmentFor } = reminderAddressee(child);
    const now = new Date('2026-11-30T12:00:00Z');
    const pt = renderReminderEmail({ locale: 'pt-BR', clinic, patientName: greeting, appointmentFor, appointment, now });
    expect(pt.subject).toBe('Lembrete: consulta de Pedro amanhã, 01/12 às 14:30 — Clínica <Sorriso> & Cia');
    expect(pt.text).toContain('Olá, Carla!');
    expect(pt.text).toContain('Este é um lembrete da consulta de Pedro na Clínica');
    expect(pt.html).toContain('Este é um lembrete da consulta de Pedro:');
    expect(pt.text + pt.html).not.toContain('sua consulta');
    expect(unescapeText(prop(eventStart(pt.ics).event, 'SUMMARY')!.value)).toBe(`Consulta de Pedro na Clínica <Sorriso> & Cia — ${appointment.dentist}`);
    const en = renderReminderEmail({ locale: 'en', clinic, patientName: greeting, appointmentFor, appointment, now });
    expect(en.subject).toBe("Reminder: Pedro's appointment tomorrow, Dec 1 at 2:30 PM — Clínica <Sorriso> & Cia");
    expect(en.text).toContain('Hello Carla,');
    expect(en.html).toContain("This is a reminder of Pedro's appointment:");
    expect(en.text + en.html).not.toContain('your appointment');
    // the patient's own e-mail keeps "sua consulta"
    const own = renderReminderEmail({ locale: 'pt-BR', clinic, patientName: 'Maria', appointment, now });
    expect(own.text).toContain('Este é um lembrete da sua consulta na Clínica <Sorriso> & Cia:');
    expect(own.subject).toContain('Lembrete: sua consulta amanhã');
  });

  it('leaves out empty sections (no address, no phone)', () => {
    const email = renderReminderEmail({ locale: 'pt-BR', clinic: { ...clinic, address: '', phone: '' }, patientName: 'Ana', appointment, now: new Date('2026-11-20T12:00:00Z') });
    expect(email.text).not.toContain('Endereço');
    expect(email.text).not.toContain('ligue');
    expect(email.subject).toContain('em ter., 01/12');
  });

  it('builds a raw MIME message with both bodies and the .ics attached', async () => {
    const email = renderReminderEmail({ locale: 'pt-BR', clinic, patientName: 'Zé', appointment, now: new Date('2026-11-30T12:00:00Z') });
    const raw = (await reminderMime(email, { from: 'Clínica <lembretes@clinica.example>', to: 'ze@example.com', replyTo: 'contato@clinica.example' })).toString();
    expect(raw).toMatch(/^Content-Type: multipart\/mixed/m);
    expect(raw).toMatch(/^Content-Type: multipart\/alternative/m);
    expect(raw).toMatch(/^Content-Type: text\/plain; charset=utf-8/m);
    expect(raw).toMatch(/^Content-Type: text\/html; charset=utf-8/m);
    expect(raw.replace(/\r?\n /g, " ")).toMatch(/^Content-Type: text\/calendar; charset=utf-8; method=PUBLISH; name=consulta\.ics/m);
    expect(raw).toMatch(/^To: ze@example\.com/m);
    expect(raw).toMatch(/^Reply-To: contato@clinica\.example/m);
    expect(raw).toMatch(/^Auto-Submitted: auto-generated/m);
  });
});

describe('.ics', () => {
  it('parses back to the right start instant and time zone, escaped and folded', () => {
    const ics = buildIcs({ uid: 'A-1@clinica', start: appointment.start, durationMinutes: 45, timeZone: 'America/Sao_Paulo', summary: 'Consulta — x, y; z', location: 'Rua das Flores, 123 — Centro; São Paulo, '.repeat(4) });
    const { instant, tzid, event } = eventStart(ics);
    expect(instant.toISOString()).toBe('2026-12-01T17:30:00.000Z');
    expect(tzid).toBe('America/Sao_Paulo');
    expect(prop(event, 'DTSTART')!.value).toBe('20261201T143000');
    expect(prop(event, 'DTEND')!.value).toBe('20261201T151500');
    expect(unescapeText(prop(event, 'SUMMARY')!.value)).toBe('Consulta — x, y; z');
    expect(unescapeText(prop(event, 'LOCATION')!.value)).toBe('Rua das Flores, 123 — Centro; São Paulo, '.repeat(4));
    expect(ics).toContain('\r\n '); // the long LOCATION was folded
  });

  it('falls back to UTC when the offset changes during the appointment', () => {
    const start = new Date('2026-11-01T05:30:00Z'); // New York, 01:30 EDT; ends after the switch to EST
    const ics = buildIcs({ uid: 'x', start, durationMinutes: 60, timeZone: 'America/New_York', summary: 's' });
    expect(eventStart(ics).instant.toISOString()).toBe(start.toISOString());
    expect(parseIcs(ics).children.some((c) => c.type === 'VTIMEZONE')).toBe(false);
  });

  it('folds at 75 octets without splitting a UTF-8 character, and escapes text', () => {
    const folded = foldLine('DESCRIPTION:' + 'ã'.repeat(60));
    for (const line of folded.split('\r\n')) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(75);
    expect(folded.replace(/\r\n /g, '')).toBe('DESCRIPTION:' + 'ã'.repeat(60));
    expect(escapeIcsText('a\\b;c,d\ne')).toBe('a\\\\b\\;c\\,d\\ne');
  });
});
