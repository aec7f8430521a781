/**
 * When the clinic is open: opening hours per weekday (`clinic.hours`, falling back to the site's `site.hours` —
 * one set of hours, the one the public site shows), closures (`clinic.closures`: dates or ranges) and, as an
 * opt-in (`clinic.holidays: "br-national"`), Brazil's national holidays, computed per year (Carnival, Good
 * Friday and Corpus Christi follow Easter). Plain functions over dates "YYYY-MM-DD" and minutes of the day.
 */
import type { Closure, Config } from '../config/schema.js';
import { weekdays, type Opening, type Weekday } from '../config/site.js';
import { addDays } from './time.js';

/** [from, to) in minutes after the local midnight. */
export type Span = readonly [number, number];

export interface AgendaCalendar {
  timeZone: string;
  /** empty: no opening hours configured — no hours rule, and free slots fall back to DEFAULT_SEARCH_HOURS */
  hours: readonly Opening[];
  closures: readonly Closure[];
  holidays: 'none' | 'br-national';
}

export function agendaCalendar(config: Pick<Config, 'clinic' | 'site'>): AgendaCalendar {
  return {
    timeZone: config.clinic.timeZone,
    hours: config.clinic.hours ?? config.site?.hours ?? [],
    closures: config.clinic.closures ?? [],
    holidays: config.clinic.holidays ?? 'none',
  };
}

export const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
export const hhmmOf = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** The weekday of a date ("mon" … "sun"). */
export function weekdayOf(date: string): Weekday {
  const sundayFirst = new Date(`${date}T12:00:00Z`).getUTCDay();
  return weekdays[(sundayFirst + 6) % 7]!;
}

/** The spans open on a date's weekday, sorted and merged (touching spans join: 08–12 + 12–18 = 08–18). */
export function spansOn(openings: readonly Opening[], date: string): Span[] {
  const day = weekdayOf(date);
  const spans = openings
    .filter((o) => o.days.includes(day))
    .map((o) => [minutesOf(o.open), minutesOf(o.close)] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const s of spans) {
    const last = merged[merged.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([s[0], s[1]]);
  }
  return merged;
}

/** Whether [from, to) lies inside one of the spans. */
export const within = (spans: readonly Span[], from: number, to: number) => spans.some(([a, b]) => a <= from && to <= b);

/** "08:00–12:00, 13:00–18:00" (empty when closed). */
export const spansText = (spans: readonly Span[]) => spans.map(([a, b]) => `${hhmmOf(a)}–${hhmmOf(b)}`).join(', ');

/** The intersection of two span lists (each sorted, non-overlapping). */
export function intersect(a: readonly Span[], b: readonly Span[]): Span[] {
  const out: Span[] = [];
  for (const [a0, a1] of a) for (const [b0, b1] of b) if (Math.max(a0, b0) < Math.min(a1, b1)) out.push([Math.max(a0, b0), Math.min(a1, b1)]);
  return out.sort((x, y) => x[0] - y[0]);
}

/** Easter Sunday (Gregorian; the anonymous algorithm of Meeus/Jones/Butcher). */
export function easterSunday(year: number): string {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/**
 * Brazil's national holidays of a year, date → name: the fixed ones of Lei 662/1949 and its amendments
 * (Consciência Negra since Lei 14.759/2023, so from 2024), and the Easter-based days clinics close on:
 * Carnival Monday and Tuesday (ponto facultativo nationally, closed in practice), Good Friday, Corpus Christi.
 */
export function brazilianHolidays(year: number): Map<string, string> {
  const y = String(year).padStart(4, '0');
  const fixed: [string, string][] = [
    ['01-01', 'Confraternização Universal'],
    ['04-21', 'Tiradentes'],
    ['05-01', 'Dia do Trabalho'],
    ['09-07', 'Independência do Brasil'],
    ['10-12', 'Nossa Senhora Aparecida'],
    ['11-02', 'Finados'],
    ['11-15', 'Proclamação da República'],
    ...(year >= 2024 ? ([['11-20', 'Dia Nacional de Zumbi e da Consciência Negra']] as [string, string][]) : []),
    ['12-25', 'Natal'],
  ];
  const easter = easterSunday(year);
  const holidays = new Map<string, string>(fixed.map(([md, name]) => [`${y}-${md}`, name]));
  holidays.set(addDays(easter, -48), 'Carnaval (segunda-feira)');
  holidays.set(addDays(easter, -47), 'Carnaval (terça-feira)');
  holidays.set(addDays(easter, -2), 'Sexta-feira Santa');
  holidays.set(addDays(easter, 60), 'Corpus Christi');
  return holidays;
}

const holidayCache = new Map<number, Map<string, string>>();

/** Why the clinic is closed on a date (a closure's note, a holiday's name, or "closed"), or undefined. */
export function closureOn(calendar: AgendaCalendar, date: string): string | undefined {
  for (const c of calendar.closures) {
    if (typeof c === 'string' ? c === date : c.from <= date && date <= c.to) return typeof c === 'string' ? 'fechado' : (c.note ?? 'fechado');
  }
  if (calendar.holidays === 'br-national') {
    const year = Number(date.slice(0, 4));
    let holidays = holidayCache.get(year);
    if (!holidays) holidayCache.set(year, (holidays = brazilianHolidays(year)));
    return holidays.get(date);
  }
  return undefined;
}
