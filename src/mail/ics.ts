/**
 * The calendar attachment of a reminder: one VEVENT (RFC 5545), METHOD:PUBLISH (an entry for the patient's
 * calendar, not a meeting invitation that asks for an answer). Times are the clinic's wall clock with a TZID
 * and a VTIMEZONE that states the offset in force at the appointment — calendar apps map the IANA TZID to
 * their own zone, and the offset keeps strict parsers right. If the offset changes during the appointment
 * (a DST switch), UTC times are used instead. The UID is stable per visit, also across moves, and SEQUENCE
 * counts the moves, so every reminder for the same visit updates one calendar entry rather than adding another.
 */
import { localParts } from '../clinic/time.js';

export interface CalendarEvent {
  uid: string;
  start: Date;
  durationMinutes: number;
  timeZone: string;
  summary: string;
  description?: string;
  location?: string;
  /** when the file was made (DTSTAMP) */
  stamp?: Date;
  /** bump when the appointment changes, so calendars replace their copy */
  sequence?: number;
  /**
   * PUBLISH (default: an entry for the calendar), REQUEST (an update of an event the patient holds: the new
   * time) or CANCEL (the event is removed); an update names the clinic as ORGANIZER, as RFC 5546 asks
   */
  method?: 'PUBLISH' | 'REQUEST' | 'CANCEL';
  /** the ORGANIZER's address (the sender), for REQUEST and CANCEL */
  organizer?: string;
}

/** TEXT value escaping: backslash, semicolon, comma, newline. */
export function escapeIcsText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/;/g, '\\;').replace(/,/g, '\\,').replace(/\r?\n/g, '\\n');
}

/** Folds a content line at 75 octets (continuation lines start with a space), never inside a UTF-8 character. */
export function foldLine(line: string): string {
  const out: string[] = [];
  let current = '';
  let bytes = 0;
  for (const ch of line) {
    const size = Buffer.byteLength(ch);
    const limit = out.length === 0 ? 75 : 74; // continuation lines carry the leading space
    if (bytes + size > limit) {
      out.push(current);
      current = '';
      bytes = 0;
    }
    current += ch;
    bytes += size;
  }
  out.push(current);
  return out.join('\r\n ');
}

/** Wall-clock "YYYYMMDDTHHMM00" of the instant in the zone (appointments start on whole minutes). */
function icsLocal(instant: Date, timeZone: string): string {
  const p = localParts(instant, timeZone);
  return `${p.date.replace(/-/g, '')}T${p.time.replace(':', '')}00`;
}

const utc = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');

function offsetText(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

export function buildIcs(event: CalendarEvent): string {
  const end = new Date(event.start.getTime() + event.durationMinutes * 60_000);
  const startOffset = localParts(event.start, event.timeZone).offsetMinutes;
  const zoned = startOffset === localParts(end, event.timeZone).offsetMinutes;
  const method = event.method ?? 'PUBLISH';
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//clinica//reminders//EN', 'CALSCALE:GREGORIAN', `METHOD:${method}`];
  if (zoned) {
    const offset = offsetText(startOffset);
    lines.push(
      'BEGIN:VTIMEZONE',
      `TZID:${event.timeZone}`,
      `X-LIC-LOCATION:${event.timeZone}`,
      'BEGIN:STANDARD',
      'DTSTART:19700101T000000',
      `TZOFFSETFROM:${offset}`,
      `TZOFFSETTO:${offset}`,
      'END:STANDARD',
      'END:VTIMEZONE',
    );
  }
  lines.push(
    'BEGIN:VEVENT',
    `UID:${escapeIcsText(event.uid)}`,
    `DTSTAMP:${utc(event.stamp ?? new Date())}`,
    zoned ? `DTSTART;TZID=${event.timeZone}:${icsLocal(event.start, event.timeZone)}` : `DTSTART:${utc(event.start)}`,
    zoned ? `DTEND;TZID=${event.timeZone}:${icsLocal(end, event.timeZone)}` : `DTEND:${utc(end)}`,
    `SEQUENCE:${event.sequence ?? 0}`,
    `SUMMARY:${escapeIcsText(event.summary)}`,
  );
  if (event.location) lines.push(`LOCATION:${escapeIcsText(event.location)}`);
  if (event.description) lines.push(`DESCRIPTION:${escapeIcsText(event.description)}`);
  if (method !== 'PUBLISH' && event.organizer) lines.push(`ORGANIZER:mailto:${event.organizer}`);
  lines.push(method === 'CANCEL' ? 'STATUS:CANCELLED' : 'STATUS:CONFIRMED', 'TRANSP:OPAQUE', 'END:VEVENT', 'END:VCALENDAR');
  return lines.map(foldLine).join('\r\n') + '\r\n';
}
