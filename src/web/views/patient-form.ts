/**
 * The patient form (new patient, edit): only what changed is sent, with the record's ETag; a change made
 * meanwhile by someone else is merged into the open form (editConflict); alerts are added and removed one at
 * a time; a new patient refused as someone known can be added anyway; a status that takes the patient out of
 * care with appointments ahead asks what to do with them (the leave dialog).
 */
import type { Patient, PatientListResponse, PatientResponse, PatientWriteResponse, UpdatePatientRequest } from '../api-types.js';
import { api, enc, statusOf, type ApiError } from '../api.js';
import { $, clearError, dialog, errorSourceOf, field, flash, freshForm, h, rememberError, renewKeyIfReused, requestKey, setError, showError, whileBusy } from '../dom.js';
import { formatCpf, formatPhone, shortFmt } from '../format.js';
import { errorText, t, type CodedError, type ShownError } from '../i18n.js';
import { state } from '../state.js';
import { whatAndWho } from './agenda.js';
import { openPatient, renderPatient } from './patient.js';

const GUARDIAN_FIELDS = ['guardian.name', 'guardian.relationship', 'guardian.phone', 'guardian.cpf'] as const;
/** The form's plain fields (the alerts are edited apart: see alertEdit). */
const PATIENT_FIELDS = ['fullName', 'preferredName', 'birthDate', 'cpf', 'sex', 'phone', 'email', 'address', 'notes', 'emailReminders', 'language', 'status', ...GUARDIAN_FIELDS, 'whatsappReminders'] as const;
/** The consent boxes (one per reminder channel). */
const CHECKBOXES: readonly string[] = ['emailReminders', 'whatsappReminders'];
type FieldName = (typeof PATIENT_FIELDS)[number];
/** A patient's values as the form shows them: strings, a boolean for the consent box. */
type FormValues = Record<FieldName, string | boolean>;

const form = () => $<HTMLFormElement>('#patient-form');
const control = (f: HTMLFormElement, name: string) => field<HTMLInputElement>(f, name);

function formValuesOf(patient: Patient | null): FormValues {
  const values = {} as FormValues;
  const record = (patient ?? {}) as Record<string, unknown>;
  for (const name of PATIENT_FIELDS) values[name] = record[name] ? String(record[name]) : '';
  values.cpf = formatCpf(patient?.cpf);
  values.status = patient?.status || 'active';
  for (const name of GUARDIAN_FIELDS) values[name] = patient?.guardian?.[name.slice('guardian.'.length) as keyof Patient['guardian'] & string] || '';
  values['guardian.cpf'] = formatCpf(patient?.guardian?.cpf);
  values.phone = formatPhone(patient?.phone) || '';
  values['guardian.phone'] = formatPhone(patient?.guardian?.phone) || '';
  values.emailReminders = Boolean(patient?.consent?.emailReminders);
  values.whatsappReminders = Boolean(patient?.consent?.whatsapp?.reminders);
  return values;
}

function readForm(f: HTMLFormElement): FormValues {
  const values = {} as FormValues;
  for (const name of PATIENT_FIELDS) values[name] = CHECKBOXES.includes(name) ? control(f, name).checked : control(f, name).value.trim();
  return values;
}

function fillForm(f: HTMLFormElement, values: FormValues, only: readonly FieldName[] = PATIENT_FIELDS): void {
  for (const name of only) {
    if (CHECKBOXES.includes(name)) control(f, name).checked = values[name] as boolean;
    else control(f, name).value = values[name] as string;
  }
}

// Alerts (allergies!) are edited one at a time, as chips: the form keeps what was added and what was removed,
// and an edit sends only that (addAlerts / removeAlerts), so an alert a colleague added meanwhile is never
// dropped by a whole list sent back. Compared as the server compares them: without case or accents.
const alertEdit = { base: [] as string[], added: [] as string[], removed: [] as string[] };
const foldText = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
const hasAlert = (list: string[], alert: string) => list.some((a) => foldText(a) === foldText(alert));
const without = (list: string[], alert: string) => list.filter((a) => foldText(a) !== foldText(alert));
/** The list the form shows: the record's, less the removed ones, plus the added ones. */
const alertsShown = () => [...alertEdit.base.filter((a) => !hasAlert(alertEdit.removed, a)), ...alertEdit.added];

/** The alerts of the record an edit starts from (or rebases on after a conflict): what the user did is kept. */
function baseAlerts(list: string[]): void {
  alertEdit.base = [...list];
  alertEdit.added = alertEdit.added.filter((a) => !hasAlert(list, a)); // already there now
  alertEdit.removed = alertEdit.removed.filter((a) => hasAlert(list, a)); // already gone
  renderAlerts();
}

function addAlert(text: string): void {
  const alert = text.trim().replace(/\s+/g, ' ');
  if (!alert || hasAlert(alertsShown(), alert)) return;
  if (hasAlert(alertEdit.removed, alert)) alertEdit.removed = without(alertEdit.removed, alert); // taken out, put back
  else alertEdit.added.push(alert);
  renderAlerts();
}

function removeAlert(alert: string): void {
  if (hasAlert(alertEdit.added, alert)) alertEdit.added = without(alertEdit.added, alert);
  else alertEdit.removed.push(alert);
  renderAlerts();
}

/** An alert typed but not yet added when the form is saved is meant: it is added. */
function takeTypedAlert(f: HTMLFormElement): void {
  addAlert(control(f, 'newAlert').value);
  control(f, 'newAlert').value = '';
}

export function renderAlerts(): void {
  const shown = alertsShown();
  const removeButtons = () => $('#alert-chips').querySelectorAll<HTMLButtonElement>('.chip-remove');
  $('#alert-chips').replaceChildren(
    ...(shown.length
      ? shown.map((alert, i) =>
          h(
            'li',
            { class: `chip${hasAlert(alertEdit.added, alert) ? ' new' : ''}` },
            h('span', {}, alert),
            h('button', {
              type: 'button',
              class: 'chip-remove',
              'aria-label': t('alerts.remove', { alert }),
              title: t('alerts.remove', { alert }),
              onclick: () => {
                removeAlert(alert);
                // the focus goes to the chip that took its place, else to the field for a new one
                const next = removeButtons()[i] ?? removeButtons()[i - 1];
                (next ?? control(form(), 'newAlert')).focus();
              },
            }, '×'),
          ),
        )
      : [h('li', { class: 'muted' }, t('alerts.none'))]),
  );
}

/** The record the edit started from (form values): only fields changed since then are sent. */
let formBase: FormValues | null = null;

export function openPatientForm(patient: Patient | null): void {
  const f = freshForm('patient-form');
  withdrawForce(f);
  $('#patient-dialog-title').textContent = patient ? t('patient.editTitle') : t('patient.new');
  formBase = patient ? formValuesOf(patient) : null;
  if (formBase) fillForm(f, formBase);
  alertEdit.added = [];
  alertEdit.removed = [];
  baseAlerts(patient?.alerts || []);
  f.dataset.mode = patient ? 'edit' : 'new';
  f.dataset.requestKey = requestKey(); // one new patient: a retry of this dialog's request is not a second one
  dialog('patient-dialog').showModal();
  control(f, 'fullName').focus();
}

/**
 * The request body: every filled field for a new patient; for an edit, only what the user changed (null
 * clears). The guardian goes whole (the server replaces it), or null when all its fields were emptied.
 */
function patientBody(values: FormValues, base: FormValues | null): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (GUARDIAN_FIELDS.some((name) => values[name] !== (base ? base[name] : ''))) {
    const guardian = Object.fromEntries(GUARDIAN_FIELDS.filter((name) => values[name]).map((name) => [name.slice('guardian.'.length), values[name]]));
    if (Object.keys(guardian).length) body.guardian = guardian;
    else if (base) body.guardian = null;
  }
  for (const name of PATIENT_FIELDS) {
    const value = values[name];
    if ((GUARDIAN_FIELDS as readonly string[]).includes(name) || (base && value === base[name])) continue;
    if (name === 'status' && !base && value === 'active') continue; // the default
    if (CHECKBOXES.includes(name)) body[name] = value;
    else if (value) body[name] = value;
    else if (base) body[name] = null;
  }
  if (!base && alertEdit.added.length) body.alerts = [...alertEdit.added];
  if (base && alertEdit.added.length) body.addAlerts = [...alertEdit.added];
  if (base && alertEdit.removed.length) body.removeAlerts = [...alertEdit.removed];
  return body;
}

/**
 * A new patient refused as someone already known — the same name and birth date as a stored patient, or a
 * person anonymized at their request: the existing patient is named (with a link) and a button says what
 * adding anyway means. It sends the same values again with `force`; changing who it is withdraws the offer.
 */
export function offerForce(err: CodedError): void {
  const link = $<HTMLAnchorElement>('#patient-existing');
  const existing = err.reason === 'duplicate-person' || err.reason === 'cpf-taken' ? err.params?.patientId : undefined;
  link.hidden = !existing;
  if (existing) {
    link.href = `#/patients/${enc(String(existing))}`;
    link.textContent = t('patient.openExisting', { patientId: existing, fullName: err.params?.fullName || '' });
  }
  const force = $('#patient-force');
  force.hidden = err.reason === 'cpf-taken'; // a CPF is one person's: there is no adding anyway
  force.textContent = t(err.reason === 'erased-match' ? 'patient.forceErased' : 'patient.force');
  $('#patient-force-box').hidden = false;
  rememberError($('#patient-force-box'), err); // worded again when the language changes
}

/**
 * A CPF that is another patient's: the API names the patient by id; the page finds the name in the list (not
 * an audited read of the record) and names and links that patient.
 */
async function nameCpfOwner(err: ApiError, error: HTMLElement): Promise<void> {
  const patientId = String(err.params?.patientId ?? '');
  if (!patientId) return;
  try {
    const { data } = await api<PatientListResponse>('GET', `/api/patients?limit=5&status=all&search=${enc(patientId)}`);
    const owner = data.patients.find((p) => p.id === patientId);
    if (!owner || errorSourceOf(error) !== err) return; // not found, or another error is on screen by now
    showError({ key: 'patient.cpfTakenBy', vars: { patientId, fullName: owner.fullName }, field: 'cpf' }, error);
    offerForce({ reason: 'cpf-taken', params: { patientId, fullName: owner.fullName } });
  } catch {
    /* the id alone stays on screen */
  }
}

/** The offer to add anyway, worded again in the language just chosen. */
export function reofferForce(): void {
  const box = $('#patient-force-box');
  const err = errorSourceOf(box);
  if (!box.hidden && err) offerForce(err as CodedError);
}

function withdrawForce(f: HTMLFormElement): void {
  delete f.dataset.force;
  $('#patient-force-box').hidden = true;
  rememberError($('#patient-force-box'), null);
}

async function submitPatient(ev: SubmitEvent): Promise<void> {
  ev.preventDefault();
  const f = ev.target as HTMLFormElement;
  const error = $('#patient-form-error');
  clearError(error);
  const editing = f.dataset.mode === 'edit';
  const force = !editing && f.dataset.force === 'yes';
  withdrawForce(f);
  takeTypedAlert(f);
  const values = readForm(f);
  // as the CLI: a guardian's phone, CPF or relationship needs the guardian's name
  if (!values['guardian.name'] && GUARDIAN_FIELDS.some((name) => values[name])) return showError({ key: 'err.required', field: 'guardian.name' }, error);
  const body = patientBody(values, editing ? formBase : null);
  if (force) body.force = true;
  await whileBusy(f, async () => {
    try {
      if (editing) {
        if (!Object.keys(body).length) {
          dialog('patient-dialog').close();
          return;
        }
        const { patient } = await savePatient(body as UpdatePatientRequest);
        dialog('patient-dialog').close();
        flash(t('patient.saved'));
        await openPatient(patient.id);
      } else {
        const { data, etag } = await api<PatientWriteResponse>('POST', '/api/patients', body, { 'idempotency-key': f.dataset.requestKey! });
        state.created = { patient: data.patient, etag: data.etag || etag || '' }; // the version just written: its first edit needs no read
        dialog('patient-dialog').close();
        flash(t('patient.created', { id: data.patient.id }));
        location.hash = `#/patients/${enc(data.patient.id)}`;
      }
    } catch (e) {
      const err = e as ApiError;
      if (statusOf(err) === 409 && editing && err.reason === 'stale') return editConflict(f, values, error);
      if (statusOf(err) === 409 && editing && err.reason === 'future-appointments') return askAboutAppointments(err, body as UpdatePatientRequest);
      renewKeyIfReused(err, f);
      showError(err, error);
      if (!editing && (err.reason === 'duplicate-person' || err.reason === 'erased-match')) offerForce(err);
      if (err.reason === 'cpf-taken') await nameCpfOwner(err, error);
    }
  });
}

/** A change to the open record, with the ETag it was read with; the record on screen becomes the answer. */
async function savePatient(body: UpdatePatientRequest): Promise<PatientWriteResponse> {
  const current = state.current!;
  const { data } = await api<PatientWriteResponse>('PATCH', `/api/patients/${enc(current.patient.id)}`, body, { 'if-match': current.etag });
  state.current = { patient: data.patient, etag: data.etag };
  return data;
}

/**
 * A status that takes the patient out of care (archived, inactive, deceased) while appointments are booked
 * ahead: the server refused and saved nothing; the page lists them and the receptionist chooses — cancel them,
 * keep them, or go back to the form. The same change is then sent again with the choice.
 */
let leaving: { err: ApiError; body: UpdatePatientRequest; name: string } | null = null;
function askAboutAppointments(err: ApiError, body: UpdatePatientRequest): void {
  leaving = { err, body, name: state.current!.patient.fullName }; // the message names the patient, not only the id
  clearError($('#leave-form-error'));
  renderLeave();
  dialog('leave-dialog').showModal();
  $('#leave-form [data-close]').focus(); // nothing is decided by an Enter
}

export function renderLeave(): void {
  const { err, name } = leaving!;
  $('#leave-what').textContent = errorText({ code: err.code, reason: err.reason, message: err.message, params: { ...err.params, name } });
  $('#leave-list').replaceChildren(
    ...(err.appointments || []).map((a) =>
      h(
        'li',
        {},
        h('span', {}, h('span', { class: 'when' }, shortFmt().format(new Date(a.start))), h('br'), h('span', { class: 'muted' }, whatAndWho(a))),
        h('span', {}, h('span', { class: `badge ${a.status}` }, t(`appt.${a.status}`))),
      ),
    ),
  );
}

async function submitLeave(ev: SubmitEvent): Promise<void> {
  ev.preventDefault();
  const f = ev.target as HTMLFormElement;
  const choice = (ev.submitter as HTMLButtonElement | null)?.value === 'cancel' ? 'cancel' : 'keep';
  const error = $('#leave-form-error');
  clearError(error);
  await whileBusy(f, async () => {
    try {
      const data = await savePatient({ ...leaving!.body, [choice === 'cancel' ? 'cancelAppointments' : 'keepAppointments']: true });
      dialog('leave-dialog').close();
      dialog('patient-dialog').close();
      const n = (choice === 'cancel' ? data.appointmentsCancelled : data.appointmentsKept)?.length ?? 0;
      flash(t(choice === 'cancel' ? 'leave.cancelled' : 'leave.kept', { n }));
      await openPatient(data.patient.id);
    } catch (err) {
      showError(err as ShownError, error);
    }
  });
}

/**
 * Someone saved the record since this edit began: the dialog stays open with what the user typed; the fresh
 * record (and its ETag) becomes the base, fields the user did not touch show the new values, and the
 * message names the fields the other person changed. Saving again sends only the user's changes; the alerts
 * the user added or removed stay added or removed on the new list.
 */
async function editConflict(f: HTMLFormElement, typed: FormValues, error: HTMLElement): Promise<void> {
  let fresh: { data: PatientResponse; etag: string | null };
  try {
    fresh = await api<PatientResponse>('GET', `/api/patients/${enc(state.current!.patient.id)}`);
  } catch (err) {
    return showError(err as ShownError, error);
  }
  const before = formBase!;
  const alertsBefore = alertEdit.base;
  const now = formValuesOf(fresh.data.patient);
  state.current = { patient: fresh.data.patient, etag: fresh.data.etag || fresh.etag || '' };
  renderPatient(fresh.data.patient, fresh.data.appointments || []);
  const untouched = PATIENT_FIELDS.filter((name) => typed[name] === before[name]);
  fillForm(f, now, untouched);
  formBase = now;
  baseAlerts(fresh.data.patient.alerts || []);
  const theirs: string[] = PATIENT_FIELDS.filter((name) => now[name] !== before[name]);
  if (JSON.stringify(alertEdit.base) !== JSON.stringify(alertsBefore)) theirs.push('alerts');
  setError(error, theirs.length ? { key: 'patient.conflictFields', fields: theirs } : { key: 'patient.conflictKept' });
  f.querySelector<HTMLButtonElement>('button[type="submit"], button:not([type])')?.focus();
}

export function wirePatientForm(): void {
  const f = form();
  f.addEventListener('submit', submitPatient);
  $('#patient-force').addEventListener('click', () => {
    f.dataset.force = 'yes';
    f.requestSubmit();
  });
  // the offer to add anyway was about who this is: another name, birth date or CPF withdraws it
  f.addEventListener('input', (e) => ['fullName', 'birthDate', 'cpf'].includes((e.target as HTMLInputElement).name) && withdrawForce(f));
  $('#alert-add').addEventListener('click', () => {
    takeTypedAlert(f);
    control(f, 'newAlert').focus();
  });
  control(f, 'newAlert').addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    e.preventDefault(); // Enter adds the alert; it does not save the form
    takeTypedAlert(f);
  });
  $<HTMLFormElement>('#leave-form').addEventListener('submit', submitLeave);
}
