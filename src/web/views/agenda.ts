/** The agenda view: one day's appointments, with what can be done to each (confirm, move, cancel, done, no-show). */
import type { AgendaAppointment, AgendaResponse, AppointmentBrief, AppointmentResponse, ChairListResponse, ChairRecord, DentistListResponse, DentistRecord } from '../api-types.js';
import { api, enc, session, statusOf } from '../api.js';
import { $, dialog, field, flash, h, showError } from '../dom.js';
import { addDays, clinicDateOf, clinicTimeOf, clinicToday, formatPhone, longDate, plausibleDay } from '../format.js';
import { t, type ShownError } from '../i18n.js';
import { show, showFailure } from '../router.js';
import { latestCalls, state } from '../state.js';
import { chairGrid, dayGrid, weekGrid, whatsappBadge } from './agenda-grid.js';
import { noteDentists, openBook, openCancel, openMove, type BookAt } from './appointment-dialogs.js';

/** What a view does after an appointment changed: show it again (on `day`, when the change moved it there). */
export type Refresh = (day?: string) => unknown;

const loads = latestCalls();
/** The dentist whose week is shown (the week view), or null: the day of every dentist. */
let weekOf: string | null = null;

/**
 * Opens the agenda on `day`: every dentist's day, or with `dentist` (an id) that dentist's week. 'mine': the
 * signed-in staff member's own week when their account is a dentist's ("Minha agenda"), else the day.
 */
export async function openAgenda(day: string, dentist: string | null = null): Promise<void> {
  const latest = loads.next();
  state.agendaDay = day;
  const monday = addDays(day, -((new Date(`${day}T12:00:00Z`).getUTCDay() + 6) % 7));
  const weekRange = (id: string) => `from=${monday}&to=${addDays(monday, 6)}&dentist=${enc(id)}`;
  const dayRange = `date=${enc(day)}`;
  const agendaOf = (range: string) => api<AgendaResponse>('GET', `/api/appointments?${range}`);
  // the appointments are asked for with the roster, not after it, unless "mine" needs the roster to be known
  const guess = dentist === 'mine' ? null : dentist && dentist !== 'all' ? weekRange(dentist) : dayRange;
  const early = guess ? agendaOf(guess) : null;
  early?.catch(() => undefined); // not used when the guess was wrong: its failure is nobody's
  const [{ data: roster }, { data: rooms }] = await Promise.all([api<DentistListResponse>('GET', '/api/dentists'), api<ChairListResponse>('GET', '/api/chairs')]);
  const mine = roster.dentists.find((d) => session.staff && d.staffId === session.staff.id);
  const shown = dentist === 'mine' ? mine : roster.dentists.find((d) => d.id === dentist);
  const range = shown ? weekRange(shown.id) : dayRange;
  const { data } = await (range === guess && early ? early : agendaOf(range));
  if (!latest()) return; // another day was asked for meanwhile: its answer wins
  weekOf = shown?.id ?? null;
  const title = shown ? `${shown.name}: ${longDate(monday)} – ${longDate(addDays(monday, 6))}` : longDate(day);
  $<HTMLInputElement>('#day').value = day;
  $('#agenda-date').textContent = title;
  const select = $<HTMLSelectElement>('#agenda-dentist');
  select.replaceChildren(
    h('option', { value: 'all' }, t('agenda.allDentists')),
    ...roster.dentists.map((d) => h('option', { value: d.id }, d === mine ? `${d.name} (${t('agenda.mine')})` : d.name)),
  );
  select.value = weekOf ?? 'all';
  noteDentists([...roster.dentists.map((d) => d.name), ...data.appointments.map((a) => a.dentist)]);
  const chairs = rooms.chairs.filter((c) => c.active);
  $('#chair-names').replaceChildren(...chairs.map((c) => h('option', { value: c.name })));
  $('#agenda-by').hidden = Boolean(shown) || !chairs.length; // chairs are optional: no toggle without them
  shownDay = { day, monday, dentist: shown ?? null, dentists: roster.dentists, chairs, appointments: data.appointments };
  const booked = data.appointments.filter((a) => a.status !== 'cancelled').length;
  $('#agenda-count').textContent = booked ? t('agenda.count', { n: booked }) : t('agenda.empty');
  drawAgenda();
  // shown once drawn: showing the view focuses its heading, which lays the page out — with the grid of the
  // day shown before, if it came first (a full day laid out for nothing)
  show('agenda', `${t(shown && shown === mine ? 'agenda.mine' : 'agenda.title')}: ${title}`);
  printed = false;
}

/** Whether the print table holds the day shown (it is drawn only when printing: most days are never printed). */
let printed = false;

/** The agenda's address for a day, keeping the week view's dentist. */
/** a day of every dentist is `#/agenda?date=D`; one dentist's week adds `&dentist=ID` */
const agendaHash = (day: string): string => `#/agenda?date=${day}${weekOf ? `&dentist=${enc(weekOf)}` : ''}`;

/** What the agenda shows now, drawn again when the screen crosses the phone width. */
let shownDay: { day: string; monday: string; dentist: DentistRecord | null; dentists: DentistRecord[]; chairs: ChairRecord[]; appointments: AgendaAppointment[] } | null = null;

/** The day view's columns: a dentist each, or ("por cadeira") a chair each; the choice is kept on this device. */
const columnsBy = (): 'dentist' | 'chair' => (localStorage.getItem('clinica.agendaBy') === 'chair' ? 'chair' : 'dentist');

/**
 * Phones (600 px and below) read the day as a list, wider screens work in the grid: only one of them is drawn,
 * so each appointment is on the page once (and a phone does not build a grid it cannot show).
 */
const narrow = window.matchMedia('(max-width: 600px)');
function drawAgenda(): void {
  if (!shownDay) return;
  const { day, monday, dentist, dentists, chairs, appointments } = shownDay;
  const grid = $('#agenda-grid');
  const list = $('#agenda-list');
  if (narrow.matches) {
    grid.replaceChildren();
    if (!appointments.length) return list.replaceChildren(h('div', { class: 'card empty' }, t('agenda.empty')));
    return list.replaceChildren(...appointments.map((a) => appointmentRow(a)));
  }
  list.replaceChildren();
  const handlers = { book: (at: BookAt) => openBook(null, openAgendaOn, at), actions: appointmentActions, refresh: openAgendaOn };
  grid.replaceChildren(
    dentist
      ? weekGrid(monday, dentist, appointments, handlers)
      : columnsBy() === 'chair' && chairs.length
        ? chairGrid(day, chairs, dentists, appointments, handlers)
        : dayGrid(day, dentists, appointments, handlers),
  );
}

/**
 * The day on paper (A4, @media print), of every dentist or of one (`dentist`: an id, or a name of older data):
 * time, patient, phone, note — and the dentist when all are printed; nothing clinical, no cancelled ones.
 */
function printDay(dentist: string | null): void {
  if (!shownDay) return;
  printed = true;
  const { day, dentists, appointments } = shownDay;
  const of = dentists.find((d) => d.id === dentist);
  const mine = (a: AgendaAppointment) => !dentist || (of ? a.dentistId === of.id || a.dentist === of.name : a.dentist === dentist);
  const rows = appointments.filter((a) => a.status !== 'cancelled' && clinicDateOf(a.start) === day && mine(a));
  const head = [t('book.time'), t('book.patient'), t('print.phone'), ...(dentist ? [] : [t('book.dentist')]), t('book.notes')];
  $('#agenda-print-day').replaceChildren(
    h('h2', { class: 'print-title' }, [longDate(day), of?.name ?? dentist].filter(Boolean).join(' · ')),
    h(
      'table',
      { class: 'print-day' },
      h('thead', {}, h('tr', {}, head.map((x) => h('th', {}, x)))),
      h(
        'tbody',
        {},
        rows.map((a) =>
          h(
            'tr',
            { 'data-dentist': a.dentist },
            h('td', {}, timeSpan(a)),
            h('td', {}, a.patientName || a.patientId),
            h('td', {}, a.patientPhone ? formatPhone(a.patientPhone) : ''),
            !dentist && h('td', {}, a.dentist),
            h('td', {}, a.notes ?? ''),
          ),
        ),
      ),
    ),
  );
}

/** "Imprimir": asks whose day (every dentist's, or one's — the week view's dentist first), then prints it. */
function openPrint(): void {
  if (!shownDay) return;
  const { dentists, appointments, dentist } = shownDay;
  const names = new Map(dentists.map((d) => [d.id, d.name]));
  for (const a of appointments) if (!a.dentistId || !names.has(a.dentistId)) names.set(a.dentist, a.dentist); // older data without a record
  const who = field<HTMLSelectElement>($<HTMLFormElement>('#print-form'), 'dentist');
  who.replaceChildren(h('option', { value: '' }, t('agenda.allDentists.print')), ...[...names].map(([value, name]) => h('option', { value }, name)));
  who.value = dentist?.id ?? '';
  dialog('print-dialog').showModal();
}

/** After a booking or a move: the day the appointment is now on (a new address, so Back returns), else this day again. */
export function openAgendaOn(day?: string): unknown {
  return day && day !== state.agendaDay ? (location.hash = agendaHash(day)) : openAgenda(state.agendaDay, weekOf);
}

type Action = 'confirm' | 'arrived' | 'done' | 'no-show';
const actionDone = { confirm: 'appt.confirmedMsg', arrived: 'appt.arrivedMsg', done: 'appt.doneMsg', 'no-show': 'appt.noShowMsg' } as const;

/** "09:30–10:00": an appointment's time as one span (two times on two lines read as two appointments' starts). */
const timeSpan = (a: AgendaAppointment): string => `${clinicTimeOf(a.start)}–${clinicTimeOf(new Date(Date.parse(a.start) + a.durationMinutes * 60000).toISOString())}`;

function appointmentRow(a: AgendaAppointment): HTMLElement {
  return h(
    'article',
    { class: `appt ${a.status}`, 'data-appointment': a.id },
    h('div', { class: 'time' }, timeSpan(a), h('small', {}, `${a.durationMinutes} ${t('appt.min')}`)),
    h(
      'div',
      { class: 'who' },
      h('a', { href: `#/patients/${enc(a.patientId)}` }, a.patientName || a.patientId),
      h('span', { class: `badge ${a.status}` }, t(`appt.${a.status}`)),
      whatsappBadge(a),
      h('div', { class: 'muted' }, whatAndWho(a)),
    ),
    appointmentActions(a),
  );
}

/**
 * What can be done to an appointment, one click each: confirm, arrived, done, no-show, move (the dialog), cancel.
 * The buttons carry their action; one listener on the view answers them all (see wireAgenda): a full day has
 * hundreds of blocks, and a listener per button made drawing it slower.
 */
function appointmentActions(a: AgendaAppointment): HTMLElement {
  const waiting = a.status === 'scheduled' || a.status === 'confirmed';
  const live = waiting || a.status === 'arrived';
  const begun = Date.parse(a.start) <= Date.now(); // what happened can be told once it has begun
  const today = clinicDateOf(a.start) === clinicToday(); // the patient can arrive early, on the day
  const button = (action: Action | 'move' | 'cancel', label: 'appt.markDone' | 'appt.markNoShow' | 'appt.confirm' | 'appt.markArrived' | 'appt.move' | 'appt.cancel') =>
    h('button', { type: 'button', class: `btn small${action === 'cancel' ? ' danger' : ''}`, 'data-action': action }, t(label));
  return h(
    'div',
    { class: 'acts' },
    waiting && today && button('arrived', 'appt.markArrived'),
    live && begun && button('done', 'appt.markDone'),
    live && begun && button('no-show', 'appt.markNoShow'),
    a.status === 'scheduled' && !begun && button('confirm', 'appt.confirm'),
    live && !begun && button('move', 'appt.move'),
    live && button('cancel', 'appt.cancel'),
  );
}

/** A click on an appointment's button (in the grid or the list): its action on the appointment shown. */
function onAppointmentButton(e: Event): void {
  const button = (e.target as HTMLElement).closest<HTMLButtonElement>('.acts button[data-action]');
  const id = button?.closest<HTMLElement>('[data-appointment]')?.dataset.appointment;
  const a = id === undefined ? undefined : shownDay?.appointments.find((x) => x.id === id);
  if (!button || !a) return;
  const action = button.dataset.action as Action | 'move' | 'cancel';
  if (action === 'move') openMove(a, openAgendaOn);
  else if (action === 'cancel') openCancel(a, openAgendaOn);
  else void act(a, action, openAgendaOn, button);
}

/** "Dra. Ana · Limpeza": the dentist and the procedure, as far as known. */
export const whatAndWho = (a: Pick<AppointmentBrief, 'dentist' | 'procedure'>): string => [a.dentist, a.procedure].filter(Boolean).join(' · ');

async function act(a: AgendaAppointment, action: Action, refresh: Refresh, button: HTMLButtonElement): Promise<void> {
  button.disabled = true; // one request per click, however many clicks
  try {
    await api<AppointmentResponse>('POST', `/api/appointments/${enc(a.id)}/${action}`, {});
    flash(t(actionDone[action]));
    await refresh();
  } catch (err) {
    showError(err as ShownError);
  } finally {
    button.disabled = false;
  }
}

export function wireAgenda(): void {
  // typing a date changes the field at every digit (a year passes through 0002, 0020, 0202): only a whole,
  // plausible date that stays a moment is shown, and it replaces the address instead of adding to history
  let dayTyped: ReturnType<typeof setTimeout> | undefined;
  $<HTMLInputElement>('#day').addEventListener('change', (e) => {
    clearTimeout(dayTyped);
    const day = (e.target as HTMLInputElement).value;
    if (!plausibleDay(day)) return;
    dayTyped = setTimeout(() => {
      if (day === state.agendaDay && !$('#view-agenda').hidden) return;
      history.replaceState(null, '', agendaHash(day));
      openAgenda(day, weekOf).catch((err: unknown) => statusOf(err) !== 401 && showFailure(err as ShownError));
    }, 400);
  });
  // a day back or ahead; a week in the week view
  $('#day-prev').addEventListener('click', () => (location.hash = agendaHash(addDays(state.agendaDay, weekOf ? -7 : -1))));
  $('#day-next').addEventListener('click', () => (location.hash = agendaHash(addDays(state.agendaDay, weekOf ? 7 : 1))));
  $('#day-today').addEventListener('click', () => (location.hash = agendaHash(clinicToday())));
  $<HTMLSelectElement>('#agenda-dentist').addEventListener('change', (e) => {
    weekOf = (e.target as HTMLSelectElement).value === 'all' ? null : (e.target as HTMLSelectElement).value;
    location.hash = agendaHash(state.agendaDay);
  });
  $('#agenda-book').addEventListener('click', () => openBook(null, openAgendaOn));
  $('#agenda-print').addEventListener('click', openPrint);
  // the browser's own Print (Ctrl+P) gives every dentist's day
  window.addEventListener('beforeprint', () => !printed && printDay(null));
  $('#print-form').addEventListener('submit', (e) => {
    e.preventDefault();
    printDay(field<HTMLSelectElement>(e.target as HTMLFormElement, 'dentist').value || null);
    dialog('print-dialog').close();
    window.print();
  });
  $('#view-agenda').addEventListener('click', onAppointmentButton);
  narrow.addEventListener('change', drawAgenda);
  const by = $<HTMLSelectElement>('#agenda-by');
  by.value = columnsBy();
  by.addEventListener('change', () => {
    localStorage.setItem('clinica.agendaBy', by.value);
    drawAgenda();
  });
}
