/**
 * "Respostas dos pacientes": what patients answered from the link in their reminders — cancellations,
 * reschedule requests (with the phone to call back) and confirmations — and the messages they wrote on WhatsApp
 * (the text as plain text, with the number to answer), newest first, each until someone marks it seen. The count of unseen ones is a badge on the Agenda and Respostas menu entries.
 */
import type { AnswerListItem } from '../../clinic/patient-answers.js';
import type { AnswerSeenResponse, AnswersResponse } from '../api-types.js';
import { api, canDo, enc } from '../api.js';
import { $, h, showError } from '../dom.js';
import { formatPhone, shortFmt } from '../format.js';
import { t, type ShownError } from '../i18n.js';
import { show } from '../router.js';
import { latestCalls } from '../state.js';

const loads = latestCalls();

/** The unseen count on the menu entries (hidden at 0). */
function setBadges(unseen: number): void {
  for (const badge of document.querySelectorAll<HTMLElement>('[data-answers-badge]')) {
    badge.textContent = String(unseen);
    badge.hidden = unseen === 0;
    badge.title = t('answers.unseen', { n: unseen });
  }
}

/** Refreshes the badges (after a route, a sign-in): for staff who may see the agenda only. */
export async function refreshAnswersBadge(): Promise<void> {
  if (!canDo('appointments')) return setBadges(0);
  try {
    setBadges((await api<AnswersResponse>('GET', '/api/answers?unseen=1')).data.unseen);
  } catch {
    // the badge is a hint: a failed count leaves the last one
  }
}

export async function openAnswers(): Promise<void> {
  const latest = loads.next();
  show('answers');
  const { data } = await api<AnswersResponse>('GET', '/api/answers');
  if (!latest()) return;
  setBadges(data.unseen);
  const list = $('#answers-list');
  if (!data.answers.length) list.replaceChildren(h('li', { class: 'empty muted' }, t('answers.none')));
  else list.replaceChildren(...data.answers.map(answerItem));
}

const KIND_BADGE: Record<AnswerListItem['action'], string> = { cancel: 'alert', reschedule: '', confirm: 'confirmed', message: '' };

function answerItem(a: AnswerListItem): HTMLElement {
  const when = (iso: string) => shortFmt().format(new Date(iso));
  // a message from a number that is no patient's has no patient to link to
  const patient = a.patientId ? h('a', { href: `#/patients/${enc(a.patientId)}` }, a.patientName ?? a.patientId) : h('span', { class: 'muted' }, t('answers.unknownNumber'));
  const appointment = a.start ? t('answers.appointment', { when: when(a.start), dentist: a.dentist ?? '' }) : a.appointmentId;
  const item = h(
    'li',
    { class: `card answer${a.seen ? ' seen' : ''}`, 'data-answer': a.id, 'data-action': a.action },
    h('p', {}, h('span', { class: `badge ${KIND_BADGE[a.action]}` }, t(`answers.kind.${a.action}`)), ' ', patient),
    appointment ? h('p', {}, appointment) : null,
    a.reason ? h('p', {}, `${t('answers.reason')}: ${a.reason}`) : null,
    // what the patient typed: a text node (h appends strings as text), never parsed as HTML
    a.text ? h('blockquote', { class: 'answer-text' }, a.text) : null,
    a.phone ? h('p', {}, `${t('answers.phone')}: `, h('a', { href: `tel:${a.phone.replace(/[^\d+]/g, '')}` }, formatPhone(a.phone))) : null,
    h('p', { class: 'muted' }, t(a.channel === 'whatsapp' ? 'answers.atWhatsapp' : 'answers.atLink', { when: when(a.at) })),
    a.seen
      ? h('p', { class: 'muted' }, t('answers.seenAt', { when: when(a.seen.at) }))
      : h('button', { type: 'button', class: 'btn small', onclick: (e) => void markSeen(a, e.currentTarget as HTMLButtonElement) }, t('answers.markSeen')),
  );
  return item;
}

async function markSeen(a: AnswerListItem, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    const { data } = await api<AnswerSeenResponse>('POST', `/api/answers/${enc(a.id)}/seen`);
    button.closest('li')!.replaceWith(answerItem({ ...a, seen: data.answer.seen }));
    await refreshAnswersBadge();
  } catch (err) {
    button.disabled = false;
    showError(err as ShownError);
  }
}
