/**
 * "Dentistas e cadeiras", the admin's section (permission 'staff'): the agenda's dentists (name, CRO, specialty,
 * colour, working hours, the staff account they sign in with, active) and its chairs, through /api/dentists and
 * /api/chairs. Everyone else never sees the tab, and the server refuses them the changes anyway.
 */
import type { ChairListResponse, DentistListResponse, DentistRecord, Opening, TeamReply } from '../api-types.js';
import { api, canDo, enc, type ApiError } from '../api.js';
import { $, clearError, dialog, field, flash, freshForm, h, renewKeyIfReused, requestKey, showError, whileBusy } from '../dom.js';
import { t, type ShownError } from '../i18n.js';
import { show } from '../router.js';

/** The dentist being edited (null: a new one). */
let editing: DentistRecord | null = null;
/** The staff accounts a dentist can be linked to, by id (read when the section opens). */
let accounts = new Map<string, string>();

/** "mon,tue 08:00–12:00; sat 08:00–12:00": hours as the CLI's --hours and the form's field write them. */
export const hoursText = (hours: Opening[] | undefined): string => (hours ?? []).map((o) => `${o.days.join(',')} ${o.open}–${o.close}`).join('; ');

export async function openDentists(): Promise<void> {
  const [{ data: roster }, { data: rooms }, team] = await Promise.all([
    api<DentistListResponse>('GET', '/api/dentists?all=1'),
    api<ChairListResponse>('GET', '/api/chairs'),
    api<TeamReply>('GET', '/api/staff').catch(() => null), // the accounts are a nicety: the records show without them
  ]);
  accounts = new Map((team?.data.staff ?? []).map((s) => [s.id, s.name]));
  show('dentists');
  $('#dentists-table tbody').replaceChildren(...roster.dentists.map(dentistRow));
  $('#chairs-list').replaceChildren(...rooms.chairs.map(chairRow));
}

function dentistRow(d: DentistRecord): HTMLElement {
  return h(
    'tr',
    { 'data-dentist': d.id, class: d.active ? '' : 'inactive' },
    h('td', {}, swatch(d.color), d.name),
    h('td', {}, d.cro ?? ''),
    h('td', {}, d.specialty ?? ''),
    h('td', {}, d.hours ? hoursText(d.hours) : t('dentists.clinicHours')),
    h('td', {}, d.staffId ? (accounts.get(d.staffId) ?? d.staffId) : ''),
    h('td', {}, t(d.active ? 'dentists.active' : 'dentists.inactive')),
    h('td', {}, h('button', { type: 'button', class: 'btn small', onclick: () => openDentistForm(d) }, t('dentists.edit'))),
  );
}

/** The dentist's colour as a dot (set through the CSSOM: the page's CSP refuses style attributes). */
function swatch(color: string): HTMLElement {
  const dot = h('span', { class: 'swatch', 'aria-hidden': 'true' });
  dot.style.setProperty('--dentist', color);
  return dot;
}

function chairRow(c: { id: string; name: string; active: boolean }): HTMLElement {
  return h(
    'li',
    { 'data-chair': c.id, class: c.active ? '' : 'inactive' },
    h('span', {}, c.name),
    c.active
      ? h('button', { type: 'button', class: 'btn small', onclick: (e) => deactivateChair(c.id, e.currentTarget as HTMLButtonElement) }, t('chairs.deactivate'))
      : h('span', { class: 'muted' }, t('dentists.inactive')),
  );
}

function openDentistForm(d: DentistRecord | null): void {
  editing = d;
  const form = freshForm('dentist-form');
  form.dataset.requestKey = requestKey();
  $('#dentist-dialog-title').textContent = t(d ? 'dentists.editTitle' : 'dentists.add');
  const account = field<HTMLSelectElement>(form, 'staffId');
  account.replaceChildren(h('option', { value: '' }, t('dentists.noAccount')), ...[...accounts].map(([id, name]) => h('option', { value: id }, name)));
  if (d?.staffId && !accounts.has(d.staffId)) account.append(h('option', { value: d.staffId }, d.staffId));
  field(form, 'name').value = d?.name ?? '';
  field(form, 'cro').value = d?.cro ?? '';
  field(form, 'specialty').value = d?.specialty ?? '';
  field(form, 'color').value = d?.color ?? '#0b6e69';
  field(form, 'hours').value = hoursText(d?.hours);
  account.value = d?.staffId ?? '';
  field(form, 'active').checked = d?.active ?? true;
  $('#dentist-active-label').hidden = !d;
  dialog('dentist-dialog').showModal();
  field(form, 'name').focus();
}

async function submitDentist(ev: SubmitEvent): Promise<void> {
  ev.preventDefault();
  const form = ev.target as HTMLFormElement;
  const error = $('#dentist-form-error');
  clearError(error);
  const text = (name: string) => field(form, name).value.trim();
  // on an edit an emptied field clears it (null); a new record just leaves it out
  const optional = (name: string) => text(name) || (editing ? null : undefined);
  const body = {
    name: text('name'),
    cro: optional('cro'),
    specialty: optional('specialty'),
    color: text('color'),
    hours: text('hours') || (editing ? null : undefined), // empty: the clinic's hours
    staffId: field<HTMLSelectElement>(form, 'staffId').value || (editing ? null : undefined),
    ...(editing ? { active: field(form, 'active').checked } : {}),
  };
  if (!body.name) return showError({ key: 'err.required', field: 'name' }, error);
  await whileBusy(form, async () => {
    try {
      if (editing) await api('PATCH', `/api/dentists/${enc(editing.id)}`, body);
      else await api('POST', '/api/dentists', body, { 'idempotency-key': form.dataset.requestKey! });
      dialog('dentist-dialog').close();
      flash(t('dentists.saved'));
      await openDentists();
    } catch (err) {
      renewKeyIfReused(err as ApiError, form);
      showError(err as ShownError, error);
    }
  });
}

async function addChairNamed(ev: SubmitEvent): Promise<void> {
  ev.preventDefault();
  const form = ev.target as HTMLFormElement;
  const error = $('#chair-form-error');
  clearError(error);
  const name = field(form, 'name').value.trim();
  if (!name) return showError({ key: 'err.required', field: 'name' }, error);
  await whileBusy(form, async () => {
    try {
      await api('POST', '/api/chairs', { name }, { 'idempotency-key': requestKey() });
      form.reset();
      flash(t('chairs.added'));
      await openDentists();
    } catch (err) {
      showError(err as ShownError, error);
    }
  });
}

async function deactivateChair(id: string, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    await api('POST', `/api/chairs/${enc(id)}/deactivate`, {});
    flash(t('chairs.deactivated'));
    await openDentists();
  } catch (err) {
    button.disabled = false;
    showError(err as ShownError);
  }
}

/** The tab is the admin's only (what the server allows the others is reading, for the agenda). */
export const showDentistsTab = (): void => {
  $('#tab-dentists').hidden = !canDo('staff');
};

export function wireDentists(): void {
  $('#dentist-add').addEventListener('click', () => openDentistForm(null));
  $<HTMLFormElement>('#dentist-form').addEventListener('submit', (e) => void submitDentist(e));
  $<HTMLFormElement>('#chair-form').addEventListener('submit', (e) => void addChairNamed(e));
}
