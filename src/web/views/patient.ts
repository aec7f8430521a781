/** The patient view: the record (facts, alerts, appointments), its images, and the buttons to edit and book. */
import type { AppointmentBrief, Patient, PatientResponse } from '../api-types.js';
import { api, canDo, enc } from '../api.js';
import { $, h } from '../dom.js';
import { ageOf, clinicDateOf, formatCpf, formatPhone, shortFmt } from '../format.js';
import { dateLabel, t, type MessageKey } from '../i18n.js';
import { show } from '../router.js';
import { latestCalls, state, type OpenRecord } from '../state.js';
import { whatAndWho } from './agenda.js';
import { openBook } from './appointment-dialogs.js';
import { loadImages } from './images.js';
import { openPatientForm } from './patient-form.js';

/** Each language by its own name (as the form's select shows them), whatever the page's language. */
export const languageNames: Record<string, string> = { 'pt-BR': 'Português', en: 'English' };

const opens = latestCalls();

export async function openPatient(id: string): Promise<void> {
  const latest = opens.next();
  let view: OpenRecord & { appointments: AppointmentBrief[] } | null = state.created?.patient.id === id ? { ...state.created, appointments: [] } : null;
  state.created = null;
  if (!view) {
    const { data, etag } = await api<PatientResponse>('GET', `/api/patients/${enc(id)}`);
    // another record was opened meanwhile (a slow answer for the one left): the newer one stays on screen
    if (!latest()) return;
    view = { patient: data.patient, etag: data.etag || etag || '', appointments: data.appointments || [] };
  }
  state.current = { patient: view.patient, etag: view.etag };
  $('#thumbs').replaceChildren();
  $('#uploads').replaceChildren();
  renderPatient(view.patient, view.appointments);
  show('patient');
  $('#images-card').hidden = !canDo('images');
  if (canDo('images')) await loadImages({ restart: true });
}

export function renderPatient(p: Patient, appointments: AppointmentBrief[]): void {
  $('#patient-name').textContent = p.fullName;
  const age = ageOf(p.birthDate);
  $('#patient-sub').textContent = [p.id, age !== undefined ? t('patient.years', { n: age }) : null, t(`status.${p.status}`)].filter(Boolean).join(' · ');
  $('#patient-alerts').replaceChildren(...(p.alerts?.length ? [h('div', { class: 'alerts', role: 'note' }, `${t('patient.alerts')}: ${p.alerts.join(', ')}`)] : []));
  const fact = (key: MessageKey, value: string | undefined) => (value ? [h('dt', {}, t(key)), h('dd', {}, value)] : []);
  const birth = p.birthDate ? dateLabel(p.birthDate) : '';
  $('#patient-facts').replaceChildren(
    ...fact('f.preferredName', p.preferredName),
    ...fact('f.birthDate', birth + (age !== undefined ? ` (${t('patient.years', { n: age })})` : '')),
    ...fact('f.cpf', formatCpf(p.cpf)),
    ...fact('f.sex', p.sex ? t(`sex.${p.sex}`) : ''),
    ...fact('f.phone', formatPhone(p.phone)),
    ...fact('f.email', p.email),
    ...fact('f.address', p.address),
    ...fact('f.guardian', p.guardian ? [p.guardian.name, p.guardian.relationship, formatPhone(p.guardian.phone)].filter(Boolean).join(' · ') : ''),
    ...fact('f.consent', p.consent ? t(p.consent.emailReminders ? 'yes' : 'no') : ''),
    ...fact('f.language', p.language ? languageNames[p.language] ?? p.language : ''),
    ...fact('f.notes', p.notes),
  );
  const now = Date.now();
  const sorted = [...appointments].sort((a, b) => Date.parse(b.start) - Date.parse(a.start));
  $('#patient-appts').replaceChildren(
    ...(sorted.length
      ? sorted.map((a) =>
          h(
            'li',
            { class: Date.parse(a.start) < now ? 'past' : '' },
            // the date opens that day's agenda, where the appointment is confirmed, moved or cancelled
            h('span', {}, h('a', { class: 'when', href: `#/agenda?date=${clinicDateOf(a.start)}` }, shortFmt().format(new Date(a.start))), h('br'), h('span', { class: 'muted' }, whatAndWho(a))),
            h('span', {}, h('span', { class: `badge ${a.status}` }, t(`appt.${a.status}`))),
          ),
        )
      : [h('li', { class: 'muted' }, t('patient.noAppointments'))]),
  );
}

export function wirePatient(): void {
  $('#patient-book').addEventListener('click', () => {
    const { patient } = state.current!;
    openBook(patient, () => openPatient(patient.id));
  });
  $('#patient-add').addEventListener('click', () => openPatientForm(null));
  $('#patient-edit').addEventListener('click', () => openPatientForm(state.current!.patient));
}
