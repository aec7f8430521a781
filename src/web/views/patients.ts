/** The patients view: search by name, CPF or phone (as typed, debounced), a page at a time. */
import type { PatientListResponse, PatientSummary } from '../api-types.js';
import { api, enc } from '../api.js';
import { $, h, showError } from '../dom.js';
import { formatPhone, shortFmt } from '../format.js';
import { t, type ShownError } from '../i18n.js';
import { show } from '../router.js';
import { latestCalls } from '../state.js';

const searches = latestCalls();
/** Patients per page of the list; "show more" reads the next page. */
const PATIENTS_PAGE = 100;
let patientsQuery = '';

const patientsPath = (q: string, offset: number) => `/api/patients?limit=${PATIENTS_PAGE}${offset ? `&offset=${offset}` : ''}&search=${enc(q)}`;
const tbody = () => $('#patients-table tbody');

export async function openPatients(q: string): Promise<void> {
  const latest = searches.next();
  show('patients');
  const search = $<HTMLInputElement>('#search');
  if (document.activeElement !== search) search.value = q;
  const { data } = await api<PatientListResponse>('GET', patientsPath(q, 0));
  if (!latest()) return; // a newer search is under way: its answer wins
  patientsQuery = q;
  if (!data.patients.length) tbody().replaceChildren(h('tr', {}, h('td', { colspan: 5, class: 'empty' }, t('patients.none'))));
  else tbody().replaceChildren(...data.patients.map(patientRow));
  patientsCount(data.total);
}

/** The next page of the same search, added below (a patient already listed is not listed twice). */
async function morePatients(): Promise<void> {
  const latest = searches.same();
  const shown = new Set([...tbody().querySelectorAll<HTMLElement>('tr[data-patient]')].map((tr) => tr.dataset.patient));
  const button = $<HTMLButtonElement>('#patients-more');
  button.disabled = true;
  try {
    const { data } = await api<PatientListResponse>('GET', patientsPath(patientsQuery, shown.size));
    if (!latest()) return;
    tbody().append(...data.patients.filter((p) => !shown.has(p.id)).map(patientRow));
    patientsCount(data.total);
  } catch (err) {
    showError(err as ShownError);
  } finally {
    button.disabled = false;
  }
}

function patientsCount(total: number): void {
  const shown = tbody().querySelectorAll('tr[data-patient]').length;
  $('#patients-count').textContent = total > shown ? t('patients.countSome', { shown, n: total }) : t('patients.count', { n: total });
  $('#patients-more').hidden = shown >= total;
}

function patientRow(p: PatientSummary): HTMLElement {
  const href = `#/patients/${enc(p.id)}`;
  const next = p.upcoming?.find((at) => Date.parse(at) >= Date.now()); // the index keeps past ones until pruned
  return h(
    'tr',
    { 'data-patient': p.id, onclick: (e) => { if ((e.target as Element).tagName !== 'A') location.hash = href; } },
    h('td', { class: 'mono' }, p.id),
    h('td', {}, h('a', { href }, p.fullName), p.preferredName ? h('span', { class: 'muted' }, ` (${p.preferredName})`) : null,
      p.status !== 'active' ? h('span', { class: 'badge cancelled' }, t(`status.${p.status}`)) : null),
    // the labels name a cell where a phone shows the row as a card, without the table's header
    h('td', { class: 'mono', 'data-label': t('patients.col.cpf') }, p.cpf || ''),
    h('td', { 'data-label': t('patients.col.phone') }, formatPhone(p.phone) || ''),
    h('td', { 'data-label': t('patients.col.next') }, next ? shortFmt().format(new Date(next)) : '—'),
  );
}

/** Typing a search lists as one types (the address follows, without adding to history). */
let typing: ReturnType<typeof setTimeout> | undefined;
/** A result clicked while a typed search is still pending: the pending search must not pull the list back. */
export const dropPendingSearch = (): void => clearTimeout(typing);

export function wirePatients(): void {
  $('#search').addEventListener('input', (e) => {
    clearTimeout(typing);
    typing = setTimeout(() => {
      const q = (e.target as HTMLInputElement).value.trim();
      history.replaceState(null, '', `#/patients${q ? `?q=${enc(q)}` : ''}`);
      openPatients(q).catch((err: unknown) => showError(err as ShownError));
    }, 180);
  });
  $('#search-form').addEventListener('submit', (e) => e.preventDefault());
  $('#patients-more').addEventListener('click', morePatients);
}
