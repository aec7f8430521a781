/**
 * A change notice as an e-mail: an appointment cancelled or moved, in the patient's language, with the calendar
 * update for the entry the reminder's .ics put in their calendar — the same UID, a higher SEQUENCE, and
 * METHOD:CANCEL (the entry goes) or METHOD:REQUEST (the entry takes the new time). Nothing clinical.
 */
import type { Locale } from '../config/schema.js';
import { buildIcs } from './ics.js';
import { buildRawEmail } from './mime.js';
import { appointmentEvent, reminderValues, type ReminderEmailInput } from './reminder-email.js';
import { loadTemplate, renderHtmlEmail, renderTemplate } from './templates.js';

export interface ChangeNoticeInput extends Omit<ReminderEmailInput, 'calendar'> {
  kind: 'cancel' | 'move';
  /** the start before the change (the cancelled time, or the time moved from) */
  previousStart: Date;
  /** the calendar entry to update: the visit's UID id and the SEQUENCE to send (higher than any sent before) */
  calendar: { id: string; sequence: number };
  /** the sender's address, the event's ORGANIZER */
  organizer: string;
}

export interface ChangeNoticeEmail {
  subject: string;
  text: string;
  html: string;
  ics: string;
  icsFilename: string;
  method: 'CANCEL' | 'REQUEST';
}

const icsFiles: Record<Locale, string> = { 'pt-BR': 'consulta.ics', en: 'appointment.ics' };

export function renderChangeNotice(input: ChangeNoticeInput): ChangeNoticeEmail {
  const values = reminderValues(input);
  const before = reminderValues({ ...input, appointment: { ...input.appointment, start: input.previousStart } });
  const all = { ...values, oldDate: before.date, oldTime: before.time, cancelled: input.kind === 'cancel' ? 'yes' : undefined, moved: input.kind === 'move' ? 'yes' : undefined };
  const subject = renderTemplate(loadTemplate(input.locale, 'change.subject.txt'), all, { html: false, name: 'change.subject.txt' }).replace(/\s+/g, ' ').trim();
  const withSubject = { ...all, subject };
  const method = input.kind === 'cancel' ? 'CANCEL' : 'REQUEST';
  const ics = buildIcs({
    // a cancellation names the event as the patient holds it (its last time); a move gives the new time
    ...appointmentEvent({ ...input, appointment: { ...input.appointment, start: input.kind === 'cancel' ? input.previousStart : input.appointment.start } }),
    method,
    organizer: input.organizer,
  });
  return {
    subject,
    text: renderTemplate(loadTemplate(input.locale, 'change.txt'), withSubject, { html: false, name: 'change.txt' }),
    html: renderHtmlEmail(input.locale, 'change', withSubject),
    ics,
    icsFilename: icsFiles[input.locale],
    method,
  };
}

export function changeNoticeMime(email: ChangeNoticeEmail, envelope: { from: string; to: string; replyTo?: string }): Promise<Buffer> {
  return buildRawEmail({
    ...envelope,
    subject: email.subject,
    text: email.text,
    html: email.html,
    attachments: [{ filename: email.icsFilename, content: email.ics, contentType: `text/calendar; charset=utf-8; method=${email.method}` }],
  });
}
