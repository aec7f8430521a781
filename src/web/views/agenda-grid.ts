/**
 * The agenda's day grid: 15-minute rows over the day's hours, one column per dentist (or per chair). Each appointment is a
 * block in its dentist's colour with its status and the one-click actions; an empty cell books there (the
 * booking dialog prefilled); a block dragged onto a cell moves it to that time (the keyboard's way is the
 * block's "Remarcar" button, the move dialog). Phones get the list instead (CSS, at 600 px and below).
 */
import type { AgendaAppointment, AppointmentResponse, ChairRecord, DentistRecord, Opening } from '../api-types.js';
import { api, enc } from '../api.js';
import { flash, h, showError } from '../dom.js';
import { addDays, clinicDateOf, clinicTimeOf, shortFmt } from '../format.js';
import { locale, t, type ShownError } from '../i18n.js';
import type { Refresh } from './agenda.js';

const SLOT = 15;
const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const hhmmOf = (min: number): string => `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;

/** The clinic's opening hours (clinic.hours, given by the server in the page's markup). */
const clinicHours: Opening[] = JSON.parse(document.documentElement.dataset.hours || '[]') as Opening[];

/**
 * The day's span in minutes: the clinic's and the dentists' hours on that weekday (a dentist without hours of
 * their own keeps the clinic's; 08:00–18:00 when none apply), widened to hold every appointment.
 */
export function daySpan(day: string, dentists: DentistRecord[], appointments: AgendaAppointment[]): { from: number; to: number } {
  const weekday = weekdays[new Date(`${day}T12:00:00Z`).getUTCDay()]!;
  const open = [clinicHours, ...dentists.map((d) => d.hours ?? clinicHours)].flat().filter((o) => o.days.includes(weekday));
  let from = open.length ? Math.min(...open.map((o) => minutesOf(o.open))) : 8 * 60;
  let to = open.length ? Math.max(...open.map((o) => minutesOf(o.close))) : 18 * 60;
  for (const a of appointments) {
    const start = minutesOf(clinicTimeOf(a.start));
    from = Math.min(from, start);
    to = Math.max(to, Math.min(24 * 60, start + a.durationMinutes));
  }
  return { from: Math.floor(from / SLOT) * SLOT, to: Math.ceil(to / SLOT) * SLOT };
}

/** A column of the grid: one dentist or one chair on one day (the day view: a column per dentist or per chair; the week view: per day). */
interface Column {
  key: string;
  /** the column's heading */
  title: string;
  color: string;
  day: string;
  /** what a booking on this column fills in: the dentist's name as bookings give it, or the chair's */
  books: { dentist?: string; chair?: string };
}

function columnsOf(day: string, dentists: DentistRecord[], appointments: AgendaAppointment[]): { columns: Column[]; columnOf: (a: AgendaAppointment) => number } {
  const columns: Column[] = dentists.map((d) => ({ key: d.id, title: d.name, color: d.color, day, books: { dentist: d.name } }));
  const byName = new Map<string, number>();
  dentists.forEach((d, i) => [d.name, ...(d.aliases ?? [])].forEach((n) => byName.set(n.toLowerCase(), i)));
  const columnOf = (a: AgendaAppointment): number => {
    const i = a.dentistId ? dentists.findIndex((d) => d.id === a.dentistId) : -1;
    if (i >= 0) return i;
    const named = byName.get(a.dentist.toLowerCase());
    if (named !== undefined) return named;
    // a dentist without a record (data from before the records): a column of its own, by name
    let extra = columns.findIndex((c) => c.key === `name:${a.dentist}`);
    if (extra < 0) extra = columns.push({ key: `name:${a.dentist}`, title: a.dentist, color: NO_RECORD, day, books: { dentist: a.dentist } }) - 1;
    return extra;
  };
  for (const a of appointments) columnOf(a);
  return { columns, columnOf };
}

const NO_RECORD = '#6b7785';

/**
 * Sets an element's layout through the CSSOM: the page's Content-Security-Policy refuses style="" attributes,
 * not styles set by its own script.
 */
function placed<E extends HTMLElement>(el: E, style: Record<string, string | number>): E {
  for (const [k, v] of Object.entries(style)) el.style.setProperty(k, String(v));
  return el;
}

export interface GridHandlers {
  /** an empty cell chosen: book there (with the column's dentist or chair) */
  book: (at: { date: string; time: string; dentist?: string; chair?: string }) => void;
  /** the one-click actions and the move/cancel buttons of one appointment */
  actions: (a: AgendaAppointment) => HTMLElement;
  refresh: Refresh;
}

/** A block's colour: its dentist's, whatever the columns are. */
function colours(dentists: DentistRecord[]): (a: AgendaAppointment) => string {
  const byId = new Map(dentists.map((d) => [d.id, d.color]));
  const byName = new Map(dentists.flatMap((d) => [d.name, ...(d.aliases ?? [])].map((n) => [n.toLowerCase(), d.color] as const)));
  return (a) => (a.dentistId && byId.get(a.dentistId)) || byName.get(a.dentist.toLowerCase()) || NO_RECORD;
}

/** The day view: a column per dentist. */
/**
 * How far the appointment's WhatsApp reminder got (sent, delivered, read, failed), where the reception looks at
 * the day: a small badge on the block and the list row, the time in its tooltip. Nothing when none was sent.
 */
export function whatsappBadge(a: AgendaAppointment): HTMLElement | null {
  if (!a.whatsapp) return null;
  const status = t(`appt.wa.${a.whatsapp.status}`);
  return h(
    'span',
    { class: `badge wa${a.whatsapp.status === 'failed' ? ' alert' : ''}`, 'data-whatsapp': a.whatsapp.status, title: t('appt.wa.title', { status, when: shortFmt().format(new Date(a.whatsapp.at)) }) },
    status,
  );
}

export function dayGrid(day: string, dentists: DentistRecord[], appointments: AgendaAppointment[], on: GridHandlers): HTMLElement {
  const { columns, columnOf } = columnsOf(day, dentists, appointments);
  return agendaGrid(columns, columnOf, colours(dentists), daySpan(day, dentists, appointments), appointments, on);
}

/**
 * The day view by chair: a column per active chair, and one "Sem cadeira" for appointments that hold none.
 * Booking on a chair's column books that chair (the dentist is the form's, as last used).
 */
export function chairGrid(day: string, chairs: ChairRecord[], dentists: DentistRecord[], appointments: AgendaAppointment[], on: GridHandlers): HTMLElement {
  const active = chairs.filter((c) => c.active);
  const columns: Column[] = active.map((c) => ({ key: c.id, title: c.name, color: CHAIR, day, books: { chair: c.name } }));
  const none = columns.push({ key: 'no-chair', title: t('grid.noChair'), color: NO_RECORD, day, books: {} }) - 1;
  const columnOf = (a: AgendaAppointment): number => {
    const i = a.chairId ? active.findIndex((c) => c.id === a.chairId) : -1;
    return i >= 0 ? i : none;
  };
  return agendaGrid(columns, columnOf, colours(dentists), daySpan(day, dentists, appointments), appointments, on);
}

const CHAIR = '#44546a';

/** The week view of one dentist: a column per day of the 7 from `monday`, headed by the day's short date. */
export function weekGrid(monday: string, dentist: DentistRecord, appointments: AgendaAppointment[], on: GridHandlers): HTMLElement {
  const days = Array.from({ length: 7 }, (_, i) => addDays(monday, i));
  const columns: Column[] = days.map((day) => ({ key: day, title: weekdayLabel(day), color: dentist.color, day, books: { dentist: dentist.name } }));
  const spans = days.map((day) => daySpan(day, [dentist], appointments.filter((a) => clinicDateOf(a.start) === day)));
  const span = { from: Math.min(...spans.map((x) => x.from)), to: Math.max(...spans.map((x) => x.to)) };
  return agendaGrid(columns, (a) => days.indexOf(clinicDateOf(a.start)), () => dentist.color, span, appointments, on);
}

/** "seg. 07/12": a week column's heading in the page's language. */
const weekdayLabel = (day: string): string =>
  new Intl.DateTimeFormat(locale(), { timeZone: 'UTC', weekday: 'short', day: '2-digit', month: '2-digit' }).format(new Date(`${day}T12:00:00Z`));

/** The grid: cells of 15 minutes under each column, the appointments as blocks over them, laid out by CSS grid. */
function agendaGrid(columns: Column[], columnOf: (a: AgendaAppointment) => number, colourOf: (a: AgendaAppointment) => string, { from, to }: { from: number; to: number }, shown: AgendaAppointment[], on: GridHandlers): HTMLElement {
  const rows = (to - from) / SLOT;
  const grid = placed(h('div', { class: 'day-grid' }), { '--cols': columns.length, '--rows': rows });
  // built apart and appended at once (one fragment): the page lays the grid out once, when it is shown
  const parts = new DocumentFragment();
  parts.append(h('div', { class: 'corner' }));
  columns.forEach((c, i) => parts.append(placed(h('div', { class: 'col-head', 'data-column': c.key }, c.title), { 'grid-column': i + 2, '--dentist': c.color })));
  for (let r = 0; r < rows; r++) {
    const time = hhmmOf(from + r * SLOT);
    const row = r + 2;
    parts.append(placed(h('div', { class: `hour${time.endsWith(':00') ? ' full' : ''}` }, time.endsWith(':00') || time.endsWith(':30') ? time : ''), { 'grid-row': row }));
    columns.forEach((c, i) =>
      parts.append(
        placed(
          h('button', {
            type: 'button',
            class: 'cell',
            'data-time': time,
            'data-day': c.day,
            'data-column': c.key,
            'aria-label': cellLabel(c, time),
          }),
          { 'grid-row': row, 'grid-column': i + 2 },
        ),
      ),
    );
  }
  for (const a of shown) {
    const i = columnOf(a);
    if (i < 0) continue;
    const time = clinicTimeOf(a.start);
    const start = minutesOf(time);
    const span = Math.max(1, Math.ceil(a.durationMinutes / SLOT));
    const block = h(
      'article',
      {
        class: `appt block ${a.status}`,
        draggable: 'true',
        'data-appointment': a.id,
      },
      h('div', { class: 'block-head' }, h('span', { class: 'time' }, time), h('a', { href: `#/patients/${enc(a.patientId)}` }, a.patientName || a.patientId)),
      h('span', { class: `badge ${a.status}` }, t(`appt.${a.status}`)),
      whatsappBadge(a),
      on.actions(a),
    );
    parts.append(placed(block, { 'grid-row': `${(start - from) / SLOT + 2} / span ${span}`, 'grid-column': i + 2, '--dentist': colourOf(a) }));
  }
  grid.append(parts);
  // one listener each for the whole grid (hundreds of cells and blocks): a cell books, a block drags
  const byKey = new Map(columns.map((c) => [c.key, c]));
  grid.addEventListener('click', (e) => {
    const cell = e.target as HTMLElement;
    const column = cell.classList.contains('cell') ? byKey.get(cell.dataset.column!) : undefined;
    if (column) on.book({ date: column.day, time: cell.dataset.time!, ...column.books });
  });
  grid.addEventListener('dragstart', (e) => {
    const id = (e.target as HTMLElement).closest<HTMLElement>('.block')?.dataset.appointment;
    if (id) e.dataTransfer?.setData('text/plain', id);
  });
  grid.addEventListener('dragover', (e) => {
    if ((e.target as HTMLElement).classList.contains('cell')) e.preventDefault();
  });
  grid.addEventListener('drop', (e) => {
    const cell = e.target as HTMLElement;
    const id = e.dataTransfer?.getData('text/plain');
    if (!cell.classList.contains('cell') || !id) return;
    e.preventDefault();
    void moveTo(id, `${cell.dataset.day} ${cell.dataset.time}`, on.refresh);
  });
  return grid;
}

/** "Agendar às 10:15 com Dra. Ana" / "… na Cadeira 1" / "… com Dra. Ana, qua. 09/12" (the week view). */
function cellLabel(c: Column, time: string): string {
  if (c.books.chair) return t('grid.bookAtChair', { time, chair: c.books.chair });
  if (!c.books.dentist) return t('grid.bookAtNoChair', { time });
  return t('grid.bookAt', { time, dentist: c.title === c.books.dentist ? c.books.dentist : `${c.books.dentist}, ${c.title}` });
}

/** A block dropped on a cell: the appointment moved to that time (a refusal shown with its reason). */
async function moveTo(id: string, at: string, refresh: Refresh): Promise<void> {
  try {
    await api<AppointmentResponse>('POST', `/api/appointments/${enc(id)}/move`, { at });
    flash(t('appt.moved'));
    await refresh();
  } catch (err) {
    showError(err as ShownError);
  }
}
