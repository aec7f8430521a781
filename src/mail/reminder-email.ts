/**
 * One appointment reminder as an e-mail: subject, plain text, HTML and the .ics, in the patient's language
 * (the clinic's, pt-BR by default). Only what the patient needs to show up: clinic, date and time in the
 * clinic's zone, dentist, address, how to reschedule — never the procedure, notes or any clinical detail.
 */
import type { Config, Locale } from '../config/schema.js';
import { addDays, todayIn } from '../clinic/time.js';
import { buildIcs, type CalendarEvent } from './ics.js';
import { buildRawEmail, type Attachment } from './mime.js';
import { loadTemplate, renderHtmlEmail, renderTemplate, type TemplateValues } from './templates.js';

export interface ReminderEmailInput {
  locale: Locale;
  clinic: Pick<Config['clinic'], 'name' | 'address' | 'phone' | 'email' | 'whatsapp' | 'timeZone' | 'preposition'>;
  /** who the e-mail greets: the patient's preferred name, else the first name — or the guardian's (reminderAddressee) */
  patientName: string;
  /** set when the e-mail goes to someone else (the guardian): the patient whose appointment it is */
  appointmentFor?: string;
  appointment: { id: string; start: Date; durationMinutes: number; dentist: string };
  /** for "today" / "tomorrow" in the subject */
  now: Date;
  /** the calendar entry the .ics updates (UID `<id>@clinica`, SEQUENCE); default: the appointment's id, 0 */
  calendar?: { id: string; sequence: number };
  /** the patient's answer link (confirm / cancel / reschedule), when the answer page is running */
  answerUrl?: string;
}

export interface ReminderEmail {
  subject: string;
  text: string;
  html: string;
  ics: string;
  icsFilename: string;
}

const words = {
  'pt-BR': { today: 'hoje', tomorrow: 'amanhã', on: 'em', icsFile: 'consulta.ics' },
  en: { today: 'today', tomorrow: 'tomorrow', on: 'on', icsFile: 'appointment.ics' },
} as const;

/** First words of clinic names and the article they take in Portuguese ("na Clínica …", "no Consultório …"). */
const feminine = /^(cl[ií]nica|policl[ií]nica|odontocl[ií]nica|casa|unidade|odontologia)$/i;
const masculine = /^(consult[oó]rio|centro|instituto|espa[cç]o|est[uú]dio|studio|n[uú]cleo|complexo|grupo)$/i;

/**
 * "na Clínica Sorriso" / "at Clínica Sorriso": the clinic's name with the word a sentence needs before it.
 * In pt-BR, `clinic.preposition` when set; else "na"/"no" when the name starts with a common noun of known
 * gender (Clínica, Consultório, Centro…), and "em" otherwise — a bare proper name reads right with "em"
 * ("em Sorriso Odonto"), while guessing an article from any other word could be wrong.
 */
export function atClinic(locale: Locale, clinic: Pick<Config['clinic'], 'name' | 'preposition'>): string {
  if (locale === 'en') return `at ${clinic.name}`;
  const first = clinic.name.trim().split(/\s+/)[0] ?? '';
  const preposition = clinic.preposition ?? (feminine.test(first) ? 'na' : masculine.test(first) ? 'no' : 'em');
  return `${preposition} ${clinic.name}`;
}

/** The calendar entry's title: "Consulta na Clínica Sorriso — Dra. Ana" ("Consulta de Pedro na …" for a guardian). */
export function appointmentTitle(input: Pick<ReminderEmailInput, 'locale' | 'clinic' | 'appointmentFor' | 'appointment'>): string {
  const where = atClinic(input.locale, input.clinic);
  const what =
    input.locale === 'en'
      ? input.appointmentFor ? `${input.appointmentFor}'s appointment` : 'Appointment'
      : input.appointmentFor ? `Consulta de ${input.appointmentFor}` : 'Consulta';
  return `${what} ${where} — ${input.appointment.dentist}`;
}

/** The greeting name: the preferred name, else the first word of the full name. */
export function greetingName(patient: { fullName: string; preferredName?: string }): string {
  return patient.preferredName?.trim() || patient.fullName.trim().split(/\s+/)[0] || patient.fullName;
}

/**
 * Whom the reminder speaks to. A patient with a guardian (a child, a ward) has the guardian's address on file:
 * the guardian is greeted and the e-mail names whose appointment it is ("Olá, Carla! … a consulta de Pedro"),
 * rather than greeting a child at their mother's address.
 */
export function reminderAddressee(patient: { fullName: string; preferredName?: string; guardian?: { name?: string } }): { greeting: string; appointmentFor?: string } {
  const guardian = patient.guardian?.name?.trim();
  if (guardian) return { greeting: guardian.split(/\s+/)[0]!, appointmentFor: greetingName(patient) };
  return { greeting: greetingName(patient) };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** Intl formatters are costly to make and a run formats thousands of dates: one per locale, zone and style. */
function formatter(locale: Locale, timeZone: string, style: 'date' | 'time' | 'zone' | 'short' | 'weekday'): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone}|${style}`;
  let f = formatters.get(key);
  if (!f) {
    const options: Record<typeof style, Intl.DateTimeFormatOptions> = {
      date: { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' },
      // "14:30" in pt-BR (two-digit hours are the Brazilian norm); "9:30 AM" in English, not "09:30 AM"
      time: { hour: locale === 'en' ? 'numeric' : '2-digit', minute: '2-digit' },
      zone: { timeZoneName: 'long' },
      short: locale === 'en' ? { month: 'short', day: 'numeric' } : { day: '2-digit', month: '2-digit' },
      weekday: { weekday: 'short' },
    };
    f = new Intl.DateTimeFormat(locale, { timeZone, ...options[style] });
    formatters.set(key, f);
  }
  return f;
}

export function reminderValues(input: ReminderEmailInput): TemplateValues {
  const { locale, clinic, appointment } = input;
  const tz = clinic.timeZone;
  const w = words[locale];
  const start = appointment.start;
  const date = formatter(locale, tz, 'date').format(start);
  const time = formatter(locale, tz, 'time').format(start);
  const timeZoneName = formatter(locale, tz, 'zone').formatToParts(start).find((p) => p.type === 'timeZoneName')?.value ?? tz;
  const day = todayIn(tz, start);
  const today = todayIn(tz, input.now);
  const shortDate = formatter(locale, tz, 'short').format(start);
  const when =
    day === today ? `${w.today}, ${shortDate}` : day === addDays(today, 1) ? `${w.tomorrow}, ${shortDate}` : `${w.on} ${formatter(locale, tz, 'weekday').format(start)}, ${shortDate}`;
  return {
    clinicName: clinic.name,
    atClinic: atClinic(locale, clinic),
    patientName: input.patientName,
    // exactly one of these is set: the e-mail is about the reader's own appointment, or about the patient's
    forPatient: input.appointmentFor || undefined,
    ownAppointment: input.appointmentFor ? undefined : 'yes',
    date,
    time,
    when,
    timeZoneName,
    dentist: appointment.dentist,
    address: clinic.address || undefined,
    phone: clinic.phone || undefined,
    phoneLink: clinic.phone ? clinic.phone.replace(/[^\d+]/g, '') : undefined,
    whatsapp: clinic.whatsapp || undefined,
    clinicEmail: clinic.email || undefined,
    answerUrl: input.answerUrl || undefined,
  };
}

export function renderReminderEmail(input: ReminderEmailInput): ReminderEmail {
  const values = reminderValues(input);
  const w = words[input.locale];
  // a subject is one line whatever the values hold
  const subject = renderTemplate(loadTemplate(input.locale, 'reminder.subject.txt'), values, { html: false, name: 'reminder.subject.txt' })
    .replace(/\s+/g, ' ')
    .trim();
  const withSubject = { ...values, subject };
  const text = renderTemplate(loadTemplate(input.locale, 'reminder.txt'), withSubject, { html: false, name: 'reminder.txt' });
  const html = renderHtmlEmail(input.locale, 'reminder', withSubject);
  const ics = buildIcs(appointmentEvent(input));
  return { subject, text, html, ics, icsFilename: w.icsFile };
}

/** The appointment as the patient's calendar holds it: the reminder's .ics and a change notice's update. */
export function appointmentEvent(input: Pick<ReminderEmailInput, 'locale' | 'clinic' | 'appointmentFor' | 'appointment' | 'calendar'>): CalendarEvent {
  return {
    uid: `${input.calendar?.id ?? input.appointment.id}@clinica`,
    start: input.appointment.start,
    durationMinutes: input.appointment.durationMinutes,
    timeZone: input.clinic.timeZone,
    summary: appointmentTitle(input),
    location: input.clinic.address || undefined,
    description: input.clinic.phone ? `${input.clinic.name} · ${input.clinic.phone}` : input.clinic.name,
    stamp: new Date(),
    sequence: input.calendar?.sequence,
  };
}

/** The raw MIME message (multipart: text + HTML alternatives, the .ics attached) for SendRawEmail. */
export async function reminderMime(email: ReminderEmail, envelope: { from: string; to: string; replyTo?: string }): Promise<Buffer> {
  const attachment: Attachment = { filename: email.icsFilename, content: email.ics, contentType: 'text/calendar; charset=utf-8; method=PUBLISH' };
  return buildRawEmail({ ...envelope, subject: email.subject, text: email.text, html: email.html, attachments: [attachment] });
}
