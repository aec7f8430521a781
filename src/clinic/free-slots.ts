/**
 * Free slots: the times a dentist could take a booking of a given length — within the clinic's hours and the
 * dentist's own, on days the clinic is open, clear of the dentist's held times, from now on. Each day is read
 * from its index (the day lock's held times, one object per day; see appointments.ts): one LIST and the days
 * changed since the last query (readDaysSlots), however full the agenda is. Slots start on the quarter hour and follow each other without overlapping.
 */
import { usageError } from '../errors.js';
import type { Store } from '../store/store.js';
import { closureOn, hhmmOf, intersect, minutesOf, spansOn, type AgendaCalendar, type Span } from './agenda-calendar.js';
import { dentistKey, MAX_RANGE_DAYS, readDaysSlots, type DaySlot } from './appointments.js';
import { listDentists, resolveDentist, type DentistRecord } from './dentists.js';
import { addDays, daysBetween, formatZoned, localParts, offsetText, parseDate, startOfLocalDay, zonedToInstant } from './time.js';

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
  const now = query.now ?? new Date();
  const today = localParts(now, calendar.timeZone);
  const clinicHours = calendar.hours.length ? calendar.hours : DEFAULT_SEARCH_HOURS;
  const days = Array.from({ length: span + 1 }, (_, i) => addDays(from, i)).filter((d) => d >= today.date && !closureOn(calendar, d));
  // the dentists and the days' indexes at once: two LISTs (and what changed since the last query) in parallel
  const [all, perDay] = await Promise.all([listDentists(store), readDaysSlots(store, days)]);
  if (!all.length) throw usageError('no dentist is recorded: free slots are per dentist', { hint: 'add them with `clinica dentists add`', reason: 'no-dentists' });
  const dentists: DentistRecord[] = query.dentist ? [(await resolveDentist(store, query.dentist, all))!] : all.filter((d) => d.active);
  // dentists come sorted by name: at the same time, slots follow that order
  const rank = new Map(dentists.map((d, i) => [d.id, i]));
  const out: FreeSlot[] = [];
  for (const [i, date] of days.entries()) {
    const held = perDay[i]!;
    const clinic = spansOn(clinicHours, date);
    const notBefore = date === today.date ? minutesOf(today.time) + 1 : 0;
    const busyOf = heldByDentist(held, dentists);
    const found: { at: number; end: number; dentist: DentistRecord }[] = [];
    for (const dentist of dentists) {
      const open = dentist.hours?.length ? intersect(clinic, spansOn(dentist.hours, date)) : clinic;
      if (!open.length) continue;
      for (const [at, end] of freeOnDay(open, busyOf.get(dentist.id) ?? [], duration, notBefore)) found.push({ at, end, dentist });
    }
    found.sort((a, b) => a.at - b.at || rank.get(a.dentist.id)! - rank.get(b.dentist.id)!);
    const stamp = dayStamper(date, calendar.timeZone);
    for (const f of found) {
      if (query.limit !== undefined && out.length >= query.limit) return out;
      out.push({ dentistId: f.dentist.id, dentist: f.dentist.name, start: stamp(f.at), end: stamp(f.end) });
    }
  }
  return out;
}

/**
 * Minutes of the day (slots end by the last closing time, 23:59 at most) → ISO with the clinic's offset. One offset for the whole day unless it changes that day
 * (a DST switch), then each time through the zone — formatting every slot through Intl would cost more than
 * the rest of the search.
 */
function dayStamper(date: string, timeZone: string): (minutes: number) => string {
  const first = localParts(startOfLocalDay(date, timeZone), timeZone).offsetMinutes;
  const last = localParts(new Date(startOfLocalDay(addDays(date, 1), timeZone).getTime() - 1), timeZone).offsetMinutes;
  if (first === last) return (m) => `${date}T${hhmmOf(m)}:00${offsetText(first)}`;
  return (m) => formatZoned(zonedToInstant(date, hhmmOf(m), timeZone), timeZone);
}

/** The day's held times per dentist id, as minutes of the day. */
function heldByDentist(held: readonly DaySlot[], dentists: readonly DentistRecord[]): Map<string, Span[]> {
  const out = new Map<string, Span[]>();
  let byName: Map<string, string> | undefined;
  for (const s of held) {
    let id = s.dentistId;
    if (!id) {
      // booked before dentists were records: by name or alias
      byName ??= new Map(dentists.flatMap((d) => [d.name, ...(d.aliases ?? [])].map((n) => [dentistKey(n), d.id] as [string, string])));
      id = byName.get(dentistKey(s.dentist));
    }
    if (!id) continue;
    const list = out.get(id) ?? [];
    list.push(localSpan(s));
    out.set(id, list);
  }
  return out;
}

/** A held time as minutes of its local day: starts are stored with the clinic's offset, so their wall clock is local. */
function localSpan(s: DaySlot): Span {
  const m = minutesOf(s.start.slice(11, 16));
  return [m, m + s.durationMinutes];
}
