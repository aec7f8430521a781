/**
 * The appointment dialogs: book (from the agenda or a patient), move, cancel. Each opens on the page's
 * <dialog> of index.html, sends one request (busy form, idempotency key for a booking) and refreshes the
 * view it was opened from.
 */
import type { AgendaAppointment, AppointmentResponse, BookRequest, DentistListResponse, FreeSlotsResponse, CancelRequest, MoveRequest, Patient, PatientListResponse } from '../api-types.js';
import { api, enc, statusOf, type ApiError } from '../api.js';
import { $, clearError, dialog, field, flash, freshForm, h, renewKeyIfReused, requestKey, showError, whileBusy } from '../dom.js';
import { addDays, clinicDateOf, clinicTimeOf, clinicToday, shortFmt } from '../format.js';
import { t, type ShownError } from '../i18n.js';
import { state } from '../state.js';
import type { Refresh } from './agenda.js';

/** The dentists seen here lately, offered as suggestions when booking (kept in this browser). */
const knownDentists = new Set<string>(JSON.parse(localStorage.getItem('clinica.dentists') || '[]') as string[]);
export function noteDentists(names: (string | undefined)[] = []): void {
  for (const name of names) if (name) knownDentists.add(name);
  localStorage.setItem('clinica.dentists', JSON.stringify([...knownDentists].slice(-20)));
  $('#dentists').replaceChildren(...[...knownDentists].map((d) => h('option', { value: d })));
}

/** Who, when and with whom: an appointment named in a dialog. */
const appointmentLine = (a: AgendaAppointment) => `${a.patientName || a.patientId} · ${shortFmt().format(new Date(a.start))} · ${a.dentist}`;

const input = (form: HTMLFormElement, name: string) => field<HTMLInputElement>(form, name);

/**
 * Cancelling asks first, in the page: a browser confirm() box reads OK / "Cancelar", and in Portuguese
 * "Cancelar" there means *not* to cancel. The buttons say what they do ("Cancelar consulta" / "Manter");
 * the safe one has the focus.
 */
let cancelling: { a: AgendaAppointment; refresh: Refresh } | null = null;
export function openCancel(a: AgendaAppointment, refresh: Refresh): void {
  cancelling = { a, refresh };
  const form = freshForm('cancel-form');
  $('#cancel-what').textContent = appointmentLine(a);
  dialog('cancel-dialog').showModal();
  $('[data-close]', form).focus();
}

async function submitCancel(ev: SubmitEvent): Promise<void> {
  ev.preventDefault();
  const form = ev.target as HTMLFormElement;
  const error = $('#cancel-form-error');
  clearError(error);
  const reason = input(form, 'reason').value.trim();
  const { a, refresh } = cancelling!;
  await whileBusy(form, async () => {
    try {
      await api<AppointmentResponse>('POST', `/api/appointments/${enc(a.id)}/cancel`, (reason ? { reason } : {}) satisfies CancelRequest);
      dialog('cancel-dialog').close();
      flash(t('appt.cancelledMsg'));
      await refresh();
    } catch (err) {
      showError(err as ShownError, error);
    }
  });
}

let booking: { patient: Patient | null; refresh: Refresh } = { patient: null, refresh: () => {} };

/** Where a booking opened from the grid's empty cell goes: its day, time and dentist. */
export interface BookAt {
  date: string;
  time: string;
  dentist?: string;
  chair?: string;
}

export function openBook(patient: Patient | null, refresh: Refresh, at?: BookAt): void {
  const form = freshForm('book-form');
  $('#book-force-label').hidden = true;
  booking = { patient, refresh };
  $('#book-patient-label').hidden = Boolean(patient);
  $('#book-patient-chosen').hidden = !patient;
  $('#book-patient-chosen').textContent = patient ? `${patient.fullName} · ${patient.id}` : '';
  input(form, 'date').value = patient || state.agendaDay < clinicToday() ? clinicToday() : state.agendaDay;
  input(form, 'dentist').value = localStorage.getItem('clinica.lastDentist') || '';
  input(form, 'chair').value = '';
  if (at) for (const name of ['date', 'time', 'dentist', 'chair'] as const) if (at[name]) input(form, name).value = at[name];
  form.dataset.requestKey = requestKey(); // one booking: a retry of this dialog's request is not a second one
  $('#book-free').replaceChildren();
  dialog('book-dialog').showModal();
  input(form, patient ? 'time' : 'patientSearch').focus();
}

let searchTimer: ReturnType<typeof setTimeout> | undefined;
function suggestPatients(text: string): void {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(async () => {
    if (text.trim().length < 2) return;
    try {
      const { data } = await api<PatientListResponse>('GET', `/api/patients?limit=15&search=${enc(text.trim())}`);
      $('#book-patients').replaceChildren(...data.patients.map((p) => h('option', { value: `${p.fullName} · ${p.id}` })));
    } catch {
      /* suggestions are best effort */
    }
  }, 200);
}

async function submitBook(ev: SubmitEvent): Promise<void> {
  ev.preventDefault();
  const form = ev.target as HTMLFormElement;
  const error = $('#book-form-error');
  clearError(error);
  let patientId = booking.patient?.id;
  if (!patientId) {
    const m = /(P-\d+)\s*$/.exec(input(form, 'patientSearch').value);
    if (!m) return showError({ key: 'book.pickPatient', field: 'patientSearch' }, error);
    patientId = m[1]!;
  }
  const date = input(form, 'date').value;
  const time = input(form, 'time').value;
  const body: BookRequest = {
    patientId,
    at: `${date} ${time}`,
    durationMinutes: Number(input(form, 'durationMinutes').value),
    dentist: input(form, 'dentist').value.trim(),
    chair: input(form, 'chair').value.trim() || undefined,
    procedure: input(form, 'procedure').value.trim() || undefined,
    notes: field<HTMLTextAreaElement>(form, 'notes').value.trim() || undefined,
    force: input(form, 'force').checked || undefined,
  };
  if (!date || !time) return showError({ key: 'err.required', field: 'at' }, error);
  const { refresh } = booking;
  await whileBusy(form, async () => {
    try {
      await api<AppointmentResponse>('POST', '/api/appointments', body, { 'idempotency-key': form.dataset.requestKey! });
      localStorage.setItem('clinica.lastDentist', body.dentist);
      noteDentists([body.dentist]);
      dialog('book-dialog').close();
      flash(t('appt.booked'));
      await refresh(date);
    } catch (err) {
      if (statusOf(err) === 409) $('#book-force-label').hidden = false;
      renewKeyIfReused(err as ApiError, form);
      showError(err as ShownError, error);
    }
  });
}

/**
 * "Próximos horários livres": the next free slots from the form's date (two weeks ahead) for its dentist and
 * duration, each a button that puts its date, time and dentist in the form.
 */
async function offerFreeSlots(form: HTMLFormElement): Promise<void> {
  const error = $('#book-form-error');
  clearError(error);
  const from = input(form, 'date').value || clinicToday();
  const dentist = input(form, 'dentist').value.trim();
  const duration = Number(input(form, 'durationMinutes').value) || 30;
  const query = `from=${enc(from)}&to=${enc(addDays(from, 13))}&duration=${duration}&limit=6${dentist ? `&dentist=${enc(dentist)}` : ''}`;
  try {
    const [{ data }, { data: roster }] = await Promise.all([
      api<FreeSlotsResponse>('GET', `/api/appointments/free?${query}`),
      api<DentistListResponse>('GET', '/api/dentists'),
    ]);
    const nameOf = new Map(roster.dentists.map((d) => [d.id, d.name]));
    const fmt = shortFmt();
    $('#book-free').replaceChildren(
      ...(data.slots.length
        ? data.slots.map((slot) => {
            const name = nameOf.get(slot.dentistId) ?? slot.dentistId;
            const pick = () => {
              input(form, 'date').value = clinicDateOf(slot.start);
              input(form, 'time').value = clinicTimeOf(slot.start);
              input(form, 'dentist').value = name;
            };
            return h('button', { type: 'button', class: 'btn small slot', onclick: pick }, `${fmt.format(new Date(slot.start))} · ${name}`);
          })
        : [h('span', { class: 'muted' }, t('book.noFree'))]),
    );
  } catch (err) {
    showError(err as ShownError, error);
  }
}

let moving: { a: AgendaAppointment; refresh: Refresh } | null = null;
export function openMove(a: AgendaAppointment, refresh: Refresh): void {
  moving = { a, refresh };
  const form = freshForm('move-form');
  $('#move-force-label').hidden = true;
  $('#move-what').textContent = appointmentLine(a);
  input(form, 'date').value = clinicDateOf(a.start);
  input(form, 'time').value = clinicTimeOf(a.start);
  dialog('move-dialog').showModal();
  input(form, 'time').focus();
}

async function submitMove(ev: SubmitEvent): Promise<void> {
  ev.preventDefault();
  const form = ev.target as HTMLFormElement;
  const error = $('#move-form-error');
  clearError(error);
  const { a, refresh } = moving!;
  await whileBusy(form, async () => {
    try {
      const date = input(form, 'date').value;
      const body: MoveRequest = { at: `${date} ${input(form, 'time').value}`, force: input(form, 'force').checked || undefined };
      await api<AppointmentResponse>('POST', `/api/appointments/${enc(a.id)}/move`, body);
      dialog('move-dialog').close();
      flash(t('appt.moved'));
      await refresh(date);
    } catch (err) {
      if (statusOf(err) === 409) $('#move-force-label').hidden = false;
      showError(err as ShownError, error);
    }
  });
}

export function wireAppointmentDialogs(): void {
  noteDentists();
  $<HTMLFormElement>('#book-form').addEventListener('submit', submitBook);
  $<HTMLFormElement>('#move-form').addEventListener('submit', submitMove);
  $<HTMLFormElement>('#cancel-form').addEventListener('submit', submitCancel);
  $('#book-free-find').addEventListener('click', () => void offerFreeSlots($<HTMLFormElement>('#book-form')));
  input($<HTMLFormElement>('#book-form'), 'patientSearch').addEventListener('input', (e) => suggestPatients((e.target as HTMLInputElement).value));
}
