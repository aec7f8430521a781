/**
 * Free slots: the times a dentist could take a booking of a given length — within the clinic's hours and the
 * dentist's own, on days the clinic is open, clear of the dentist's held times, from now on. Each day is read
 * from its index (the day lock's held times, one object per day; see appointments.ts), so 60 days cost 60
 * reads however full the agenda is. Slots start on the quarter hour and follow each other without overlapping.
 */
import { usageError } from '../errors.js';
import type { Store } from '../store/store.js';
import { closureOn, hhmmOf, intersect, minutesOf, spansOn, type AgendaCalendar, type Span } from './agenda-calendar.js';
import { dentistKey, MAX_RANGE_DAYS, readDaySlots, type DaySlot } from './appointments.js';
import { listDentists, resolveDentist, type DentistRecord } from './dentists.js';
import { mapLimit } from './text.js';
import { addDays, daysBetween, formatZoned, localParts, parseDate, zonedToInstant } from './time.js';

export interface FreeSlot {
  dentistId: string;
  dentist: string;
  /** ISO with the clinic's offset */
  start: string;
  end: string;
}

export interface FreeSlotQuery {
  from: string;
  to: string;
  /** a dentist's id or unambiguous name; absent: every active dentist */
  dentist?: string;
  durationMinutes: number;
  /** at most this many slots (the earliest); absent: all */
  limit?: number;
  now?: Date;
}

/** Hours searched when the clinic has none configured: Monday to Friday, 08:00–18:00. */
export const DEFAULT_SEARCH_HOURS = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'] as ('mon' | 'tue' | 'wed' | 'thu' | 'fri')[], open: '08:00', close: '18:00' }];

const QUARTER = 15;
const upToQuarter = (m: number) => Math.ceil(m / QUARTER) * QUARTER;

/** The free [start, end) minutes of one dentist's day. */
export function freeOnDay(open: readonly Span[], busy: readonly Span[], duration: number, notBefore = 0): Span[] {
  const out: Span[] = [];
  for (const [a, b] of open) {
    let t = upToQuarter(Math.max(a, notBefore));
    while (t + duration <= b) {
      const clash = busy.find(([x, y]) => x < t + duration && t < y);
      if (clash) {
        t = upToQuarter(clash[1]);
        continue;
      }
      out.push([t, t + duration]);
      t = upToQuarter(t + duration);
    }
  }
  return out;
}

export async function freeSlots(store: Store, query: FreeSlotQuery, calendar: AgendaCalendar): Promise<FreeSlot[]> {
  const from = parseDate(query.from, 'from');
  const to = parseDate(query.to, 'to');
  const span = daysBetween(from, to);
  if (span < 0) throw usageError(`to: ${to} is before the range's first day, ${from}`, { field: 'to' });
  if (span >= MAX_RANGE_DAYS) throw usageError(`to: a range of at most ${MAX_RANGE_DAYS} days, got ${span + 1}`, { field: 'to' });
  const duration = query.durationMinutes;
  if (!Number.isInteger(duration) || duration < 5 || duration > 720) {
    throw usageError(`duration: "${duration}" is not a duration in minutes (5–720)`, { field: 'duration', reason: 'out-of-range', params: { min: 5, max: 720 } });
  }
  const all = await listDentists(store);
  if (!all.length) throw usageError('no dentist is recorded: free slots are per dentist', { hint: 'add them with `clinica dentists add`', reason: 'no-dentists' });
  const dentists: DentistRecord[] = query.dentist ? [(await resolveDentist(store, query.dentist, all))!] : all.filter((d) => d.active);
  const now = query.now ?? new Date();
  const today = localParts(now, calendar.timeZone);
  const clinicHours = calendar.hours.length ? calendar.hours : DEFAULT_SEARCH_HOURS;
  const days = Array.from({ length: span + 1 }, (_, i) => addDays(from, i)).filter((d) => d >= today.date && !closureOn(calendar, d));
  const perDay = await mapLimit(days, 16, (d) => readDaySlots(store, d));
  const out: FreeSlot[] = [];
  for (const [i, date] of days.entries()) {
    const held = perDay[i]!;
    const clinic = spansOn(clinicHours, date);
    const notBefore = date === today.date ? minutesOf(today.time) + 1 : 0;
    const found: { at: number; end: number; dentist: DentistRecord }[] = [];
    for (const dentist of dentists) {
      const open = dentist.hours?.length ? intersect(clinic, spansOn(dentist.hours, date)) : clinic;
      if (!open.length) continue;
      const busy = held.filter((s) => holdsFor(s, dentist)).map((s) => localSpan(s, calendar.timeZone));
      for (const [at, end] of freeOnDay(open, busy, duration, notBefore)) found.push({ at, end, dentist });
    }
    found.sort((a, b) => a.at - b.at || a.dentist.name.localeCompare(b.dentist.name, 'pt-BR'));
    for (const f of found) {
      if (query.limit !== undefined && out.length >= query.limit) return out;
      const start = zonedToInstant(date, hhmmOf(f.at), calendar.timeZone);
      out.push({ dentistId: f.dentist.id, dentist: f.dentist.name, start: formatZoned(start, calendar.timeZone), end: formatZoned(new Date(start.getTime() + duration * 60_000), calendar.timeZone) });
    }
  }
  return out;
}

/** Whether a held time is this dentist's: by id, or (booked before records) by name or alias. */
function holdsFor(s: DaySlot, d: DentistRecord): boolean {
  if (s.dentistId) return s.dentistId === d.id;
  const key = dentistKey(s.dentist);
  return dentistKey(d.name) === key || (d.aliases ?? []).some((a) => dentistKey(a) === key);
}

/** A held time as minutes of its local day (start stored with the clinic's offset: its wall clock is local). */
function localSpan(s: DaySlot, timeZone: string): Span {
  const start = localParts(new Date(s.start), timeZone);
  const m = minutesOf(start.time);
  return [m, m + s.durationMinutes];
}
