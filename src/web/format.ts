/** Dates, times and numbers as the page shows them: in the clinic's time zone, in the page's language. */
import { locale } from './i18n.js';

const root = document.documentElement;
export const CLINIC = root.dataset.clinic || 'clinica';
export const TIME_ZONE = root.dataset.timeZone || 'America/Sao_Paulo';

export const shortFmt = (): Intl.DateTimeFormat =>
  new Intl.DateTimeFormat(locale(), { timeZone: TIME_ZONE, day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit' });
const ymdFmt = new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' });

/** Today in the clinic's time zone, YYYY-MM-DD. */
export const clinicToday = (): string => ymdFmt.format(new Date());
export const clinicDateOf = (iso: string): string => ymdFmt.format(new Date(iso));
// one formatter for every time shown (building one per call dominated the agenda grid's drawing)
const hmFmt = new Intl.DateTimeFormat('en-GB', { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
export const clinicTimeOf = (iso: string): string => hmFmt.format(new Date(iso));

export function addDays(ymd: string, n: number): string {
  const d = new Date(`${ymd}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** "Segunda-feira, 7 de dezembro de 2026" */
export function longDate(ymd: string): string {
  const text = new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(new Date(`${ymd}T12:00:00Z`));
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A whole date the agenda can show (a date field being typed into passes through years like 0202). */
export const plausibleDay = (day: string | null | undefined): day is string => /^\d{4}-\d{2}-\d{2}$/.test(day ?? '') && day! >= '1900-01-01' && day! <= '2100-12-31';

export function ageOf(birthDate: string | undefined): number | undefined {
  if (!birthDate) return undefined;
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = clinicToday().split('-').map(Number) as [number, number, number];
  return ty - y - (tm < m || (tm === m && td < d) ? 1 : 0);
}

/** A stored phone as people read it: "(11) 98765-4321" — the CLI's own function (src/clinic/phone.ts has no Node imports). */
export { formatPhone } from '../clinic/phone.js';

export const formatCpf = (c: string | undefined): string => (c && /^\d{11}$/.test(c) ? `${c.slice(0, 3)}.${c.slice(3, 6)}.${c.slice(6, 9)}-${c.slice(9)}` : c || '');
