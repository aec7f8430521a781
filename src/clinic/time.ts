/**
 * Clinic-local dates and times with Intl only (no tz library): the clinic's IANA zone turns "2026-12-01 14:30"
 * into an instant and back. DST gaps (a local time that does not exist) are refused; in a DST overlap the
 * earlier instant is taken.
 */
import { usageError } from '../errors.js';

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      timeZoneName: 'longOffset',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export interface LocalParts {
  /** YYYY-MM-DD */
  date: string;
  /** HH:MM */
  time: string;
  /** minutes east of UTC (São Paulo: -180) */
  offsetMinutes: number;
}

export function localParts(instant: Date, timeZone: string): LocalParts {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) parts[p.type] = p.value;
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(parts.timeZoneName ?? '');
  const offsetMinutes = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
  return { date: `${parts.year}-${parts.month}-${parts.day}`, time: `${parts.hour}:${parts.minute}`, offsetMinutes };
}

/** "-03:00" / "+05:30" / "+00:00" */
export function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** The instant as ISO with the clinic's offset: "2026-12-01T14:30:00-03:00". */
export function formatZoned(instant: Date, timeZone: string): string {
  const p = localParts(instant, timeZone);
  return `${p.date}T${p.time}:00${offsetText(p.offsetMinutes)}`;
}

const DAY = 86_400_000;

/** The instant of a clinic-local date and time; throws a usage error for a time skipped by a DST change. */
export function zonedToInstant(date: string, time: string, timeZone: string, field = 'at'): Date {
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi] = time.split(':').map(Number);
  const guess = Date.UTC(y!, mo! - 1, d!, h!, mi!);
  const offsets = new Set([-DAY / 2, 0, DAY / 2].map((delta) => localParts(new Date(guess + delta), timeZone).offsetMinutes));
  const candidates = [...offsets]
    .map((o) => guess - o * 60_000)
    .filter((t) => {
      const p = localParts(new Date(t), timeZone);
      return p.date === date && p.time === time;
    })
    .sort((a, b) => a - b);
  if (!candidates.length) {
    throw usageError(`${field}: ${date} ${time} does not exist in ${timeZone} (the clocks skip it for daylight saving)`, {
      field,
      reason: 'time-skipped',
      params: { date, time },
      hint: 'pick a time an hour later',
    });
  }
  return new Date(candidates[0]!);
}

/** Validates a calendar date: "2026-12-01", also "01/12/2026" (dd/mm/yyyy, as written in Brazil). */
export function parseDate(text: string, field = 'date'): string {
  const raw = text.trim();
  let y: number, m: number, d: number;
  let match = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(raw);
  if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{1,2})[/.](\d{1,2})[/.](\d{4})$/.exec(raw))) [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else throw usageError(`${field}: "${raw}" is not a date (expected YYYY-MM-DD or DD/MM/YYYY)`, { field, reason: 'date-format' });
  const check = new Date(Date.UTC(y, m - 1, d));
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== d) {
    throw usageError(`${field}: "${raw}" is not a calendar date`, { field, reason: 'date-invalid' });
  }
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * A clinic-local date and time ("2026-12-01 14:30", "2026-12-01T14:30", "01/12/2026 14:30") or an ISO instant
 * with an offset or Z → the instant.
 */
export function parseDateTime(text: string, timeZone: string, field = 'at'): Date {
  const raw = text.trim();
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(raw)) {
    const t = new Date(raw);
    if (!Number.isNaN(t.getTime())) return t;
  }
  const m = /^(\S+)[ T](\d{1,2}):(\d{2})$/.exec(raw);
  if (!m) throw usageError(`${field}: "${raw}" is not a date and time (expected "YYYY-MM-DD HH:MM", clinic time)`, { field, reason: 'datetime-format' });
  const date = parseDate(m[1]!, field);
  const hour = Number(m[2]);
  const minute = Number(m[3]);
  if (hour > 23 || minute > 59) throw usageError(`${field}: "${raw}" has no such time of day`, { field, reason: 'time-invalid' });
  return zonedToInstant(date, `${String(hour).padStart(2, '0')}:${m[3]}`, timeZone, field);
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y!, m! - 1, d! + days)).toISOString().slice(0, 10);
}

/** Whole days from a to b (dates). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY);
}

export function todayIn(timeZone: string, now = new Date()): string {
  return localParts(now, timeZone).date;
}

/** The first instant of a clinic-local day (midnight, or the first existing minute after a DST gap at midnight). */
export function startOfLocalDay(date: string, timeZone: string): Date {
  for (let minutes = 0; minutes < 180; minutes += 30) {
    const time = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
    try {
      return zonedToInstant(date, time, timeZone);
    } catch {
      /* midnight skipped by DST (São Paulo before 2019): try later */
    }
  }
  throw usageError(`${date} has no start in ${timeZone}`);
}

/** Age in whole years on a date. */
export function ageOn(birthDate: string, onDate: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [y, m, d] = onDate.split('-').map(Number);
  return y! - by! - (m! < bm! || (m === bm && d! < bd!) ? 1 : 0);
}
