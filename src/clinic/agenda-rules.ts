/**
 * The agenda's booking rules, one module for the CLI and the API (both reach it through
 * src/clinic/appointments.ts). Each refusal has a stable code (the error's `reason`), its values, and a text in
 * pt-BR and English. An "encaixe" (force) overrides the overlaps and the hours — never a closure — and only
 * for a caller allowed to (canForce); what it overrode is kept on the appointment and in the audit log.
 */
import type { Locale } from '../config/schema.js';
import { ClinicaError } from '../errors.js';
import { agendaTexts } from './agenda-texts.js';
import { closureOn, hhmmOf, intersect, spansOn, spansText, within, type AgendaCalendar } from './agenda-calendar.js';
import type { DentistRecord } from './dentists.js';
import { localParts } from './time.js';
import type { Appointment } from './types.js';

export const ruleCodes = ['overlap', 'patient-overlap', 'chair-overlap', 'outside-opening-hours', 'outside-working-hours', 'clinic-closed'] as const;
export type RuleCode = (typeof ruleCodes)[number];

/** What an encaixe may override. */
const OVERRIDABLE: ReadonlySet<RuleCode> = new Set(['overlap', 'patient-overlap', 'chair-overlap', 'outside-opening-hours', 'outside-working-hours']);

/** Roles that may book an encaixe on the staff page (the CLI's operator holds the bucket's keys: always). */
export const FORCE_ROLES: readonly string[] = ['admin', 'dentist'];
export const canForce = (role: string) => FORCE_ROLES.includes(role);

export interface Refusal {
  code: RuleCode;
  params: Record<string, string | number>;
}

/** The texts of each refusal (src/clinic/agenda-texts.ts); `{name}` is replaced by the refusal's value. */
export const ruleTexts: Record<Locale, Record<RuleCode, string>> = agendaTexts;

const weekdayNames: Record<Locale, string[]> = {
  'pt-BR': ['segunda-feira', 'terça-feira', 'quarta-feira', 'quinta-feira', 'sexta-feira', 'sábado', 'domingo'],
  en: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
};
const closedWord: Record<Locale, string> = { 'pt-BR': 'fechado', en: 'closed' };

export function refusalText(refusal: Refusal, locale: Locale): string {
  const values: Record<string, string | number> = { ...refusal.params };
  if (typeof values.weekdayIndex === 'number') values.weekday = weekdayNames[locale][values.weekdayIndex]!;
  if (values.hours === '') values.hours = closedWord[locale];
  if (values.date && locale === 'pt-BR') values.date = String(values.date).split('-').reverse().join('/');
  return ruleTexts[locale][refusal.code].replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? ''));
}

/** What a booking is checked as: its time, dentist, patient and chair. */
export type Candidate = Pick<Appointment, 'id' | 'patientId' | 'dentist' | 'dentistId' | 'chairId' | 'start' | 'durationMinutes'>;

const endMs = (a: Pick<Appointment, 'start' | 'durationMinutes'>) => Date.parse(a.start) + a.durationMinutes * 60_000;
const weekdayIndex = (date: string) => (new Date(`${date}T12:00:00Z`).getUTCDay() + 6) % 7;

/** The time rules: closures, the clinic's opening hours, the dentist's working hours. */
export function timeRefusals(candidate: Candidate, calendar: AgendaCalendar, dentist?: DentistRecord): Refusal[] {
  const start = localParts(new Date(candidate.start), calendar.timeZone);
  const from = Number(start.time.slice(0, 2)) * 60 + Number(start.time.slice(3, 5));
  const to = from + candidate.durationMinutes;
  const base = { date: start.date, from: start.time, to: hhmmOf(to), weekdayIndex: weekdayIndex(start.date) };
  const why = closureOn(calendar, start.date);
  if (why) return [{ code: 'clinic-closed', params: { date: start.date, why } }];
  const out: Refusal[] = [];
  const clinic = calendar.hours.length ? spansOn(calendar.hours, start.date) : undefined;
  if (clinic && !within(clinic, from, to)) out.push({ code: 'outside-opening-hours', params: { ...base, hours: spansText(clinic) } });
  if (dentist?.hours?.length) {
    const own = spansOn(dentist.hours, start.date);
    const spans = clinic ? intersect(clinic, own) : own;
    if (!within(spans, from, to)) out.push({ code: 'outside-working-hours', params: { ...base, dentist: dentist.name, hours: spansText(spans) } });
  }
  return out;
}

/** A record still holding its time (not cancelled, moved away or a no-show). */
export const holdsTime = (a: Pick<Appointment, 'movedTo' | 'status'>) => !a.movedTo && a.status !== 'cancelled' && a.status !== 'no-show';

/** Whether two records name the same dentist: by id when both have one, else by the name as compared. */
export function sameDentist(a: Pick<Appointment, 'dentist' | 'dentistId'>, b: Pick<Appointment, 'dentist' | 'dentistId'>, key: (n: string) => string): boolean {
  if (a.dentistId && b.dentistId) return a.dentistId === b.dentistId;
  return key(a.dentist) === key(b.dentist);
}

/** The overlap rules against the records of the candidate's day: its dentist's, its patient's, its chair's. */
export function overlapRefusals(day: readonly Appointment[], candidate: Candidate, timeZone: string, key: (n: string) => string, chairName?: string): Refusal[] {
  const start = Date.parse(candidate.start);
  const end = endMs(candidate);
  const out: Refusal[] = [];
  const seen = new Set<RuleCode>();
  for (const a of day) {
    if (a.id === candidate.id || !holdsTime(a) || !(Date.parse(a.start) < end && start < endMs(a))) continue;
    const from = localParts(new Date(a.start), timeZone);
    const to = localParts(new Date(endMs(a)), timeZone);
    const at = { date: from.date, from: from.time, to: to.time, appointmentId: a.id };
    const add = (code: RuleCode, params: Record<string, string>) => {
      if (seen.has(code)) return;
      seen.add(code);
      out.push({ code, params: { ...at, ...params } });
    };
    if (sameDentist(a, candidate, key)) add('overlap', { dentist: a.dentist });
    if (a.patientId === candidate.patientId) add('patient-overlap', { patientId: a.patientId, dentist: a.dentist });
    if (candidate.chairId && a.chairId === candidate.chairId) add('chair-overlap', { chair: chairName ?? candidate.chairId });
  }
  return out;
}

const HINTS: Record<RuleCode, string> = {
  overlap: 'choose another time (`clinica appointments free`), or pass --force for an encaixe',
  'patient-overlap': 'choose another time, or pass --force for an encaixe',
  'chair-overlap': 'choose another time or chair, or pass --force for an encaixe',
  'outside-opening-hours': 'choose a time within the opening hours (`clinica appointments free`), or pass --force for an encaixe',
  'outside-working-hours': "choose a time within the dentist's hours (`clinica appointments free`), or pass --force for an encaixe",
  'clinic-closed': 'choose another day (closures: clinic.closures / clinic.holidays in clinica.config.json)',
};

/**
 * Decides on a booking's refusals: none → nothing overridden; with `force` (and allowed), the overridable
 * ones are overridden and returned; otherwise one error naming them all (the first one's code as `reason`,
 * every refusal with its texts in `refusals`). Overlaps are conflicts (409, exit 1), the calendar usage (400, exit 2).
 */
export function decide(refusals: Refusal[], force: boolean): Refusal[] {
  const blocking = force ? refusals.filter((r) => !OVERRIDABLE.has(r.code)) : refusals;
  if (!blocking.length) return refusals;
  return refusalError(blocking);
}

function refusalError(refusals: Refusal[]): never {
  const first = refusals[0]!;
  const overlapping = first.code.endsWith('overlap');
  throw new ClinicaError(overlapping ? 'conflict' : 'usage', refusals.map((r) => refusalText(r, 'en').replace(/\.$/, '')).join('; '), {
    field: 'at',
    hint: HINTS[first.code],
    reason: first.code,
    params: first.params,
    extra: { refusals: refusals.map((r) => ({ reason: r.code, params: r.params, text: { 'pt-BR': refusalText(r, 'pt-BR'), en: refusalText(r, 'en') } })) },
  });
}
