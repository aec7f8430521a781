/** The agenda view: one day's appointments, with what can be done to each (confirm, move, cancel, done, no-show). */
import type { AgendaAppointment, AgendaResponse, AppointmentBrief, AppointmentResponse } from '../api-types.js';
import { api, enc, statusOf } from '../api.js';
import { $, flash, h, showError } from '../dom.js';
import { addDays, clinicTimeOf, clinicToday, longDate, plausibleDay } from '../format.js';
import { t, type ShownError } from '../i18n.js';
import { show, showFailure } from '../router.js';
import { state } from '../state.js';
import { noteDentists, openBook, openCancel, openMove } from './appointment-dialogs.js';

/** What a view does after an appointment changed: show it again (on `day`, when the change moved it there). */
export type Refresh = (day?: string) => unknown;

let agendaSeq = 0;
export async function openAgenda(day: string): Promise<void> {
  const seq = ++agendaSeq;
  state.agendaDay = day;
  const { data } = await api<AgendaResponse>('GET', `/api/appointments?date=${enc(day)}`);
  if (seq !== agendaSeq) return; // another day was asked for meanwhile: its answer wins
  show('agenda', `${t('agenda.title')}: ${longDate(day)}`);
  $<HTMLInputElement>('#day').value = day;
  $('#agenda-date').textContent = longDate(day);
  noteDentists(data.appointments.map((a) => a.dentist));
  const list = $('#agenda-list');
  if (!data.appointments.length) {
    list.replaceChildren(h('div', { class: 'card empty' }, t('agenda.empty')));
    return;
  }
  list.replaceChildren(
    h('p', { class: 'muted' }, t('agenda.count', { n: data.appointments.filter((a) => a.status !== 'cancelled').length })),
    ...data.appointments.map((a) => appointmentRow(a, openAgendaOn)),
  );
}

/** After a booking or a move: the day the appointment is now on (a new address, so Back returns), else this day again. */
export function openAgendaOn(day?: string): unknown {
  return day && day !== state.agendaDay ? (location.hash = `#/agenda?date=${day}`) : openAgenda(state.agendaDay);
}

type Action = 'confirm' | 'done' | 'no-show';
const actionDone = { confirm: 'appt.confirmedMsg', done: 'appt.doneMsg', 'no-show': 'appt.noShowMsg' } as const;

function appointmentRow(a: AgendaAppointment, refresh: Refresh): HTMLElement {
  const end = new Date(Date.parse(a.start) + a.durationMinutes * 60000).toISOString();
  const live = a.status === 'scheduled' || a.status === 'confirmed';
  const begun = Date.parse(a.start) <= Date.now(); // what happened can be told once it has begun
  const button = (action: Action, label: 'appt.markDone' | 'appt.markNoShow' | 'appt.confirm') =>
    h('button', { type: 'button', class: 'btn small', onclick: (e) => act(a, action, refresh, e.currentTarget as HTMLButtonElement) }, t(label));
  return h(
    'article',
    { class: `appt ${a.status}`, 'data-appointment': a.id },
    // one span of time, "09:30–10:00" (two times on two lines read as two appointments' starts)
    h('div', { class: 'time' }, `${clinicTimeOf(a.start)}–${clinicTimeOf(end)}`, h('small', {}, `${a.durationMinutes} ${t('appt.min')}`)),
    h(
      'div',
      { class: 'who' },
      h('a', { href: `#/patients/${enc(a.patientId)}` }, a.patientName || a.patientId),
      h('span', { class: `badge ${a.status}` }, t(`appt.${a.status}`)),
      h('div', { class: 'muted' }, whatAndWho(a)),
    ),
    h(
      'div',
      { class: 'acts' },
      live && begun && button('done', 'appt.markDone'),
      live && begun && button('no-show', 'appt.markNoShow'),
      a.status === 'scheduled' && !begun && button('confirm', 'appt.confirm'),
      live && !begun && h('button', { type: 'button', class: 'btn small', onclick: () => openMove(a, refresh) }, t('appt.move')),
      live && h('button', { type: 'button', class: 'btn small danger', onclick: () => openCancel(a, refresh) }, t('appt.cancel')),
    ),
  );
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
      history.replaceState(null, '', `#/agenda?date=${day}`);
      openAgenda(day).catch((err: unknown) => statusOf(err) !== 401 && showFailure(err as ShownError));
    }, 400);
  });
  $('#day-prev').addEventListener('click', () => (location.hash = `#/agenda?date=${addDays(state.agendaDay, -1)}`));
  $('#day-next').addEventListener('click', () => (location.hash = `#/agenda?date=${addDays(state.agendaDay, 1)}`));
  $('#day-today').addEventListener('click', () => (location.hash = `#/agenda?date=${clinicToday()}`));
  $('#agenda-book').addEventListener('click', () => openBook(null, openAgendaOn));
}
