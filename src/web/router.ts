/**
 * The hash router: #/agenda?date=YYYY-MM-DD, #/patients?q=…, #/patients/<id>, #/conta, #/equipe (admins). One view is shown at a time
 * (the sections of index.html); a view that cannot be opened shows the failure view in its place.
 */
import { canDo, statusOf, session } from './api.js';
import { $ } from './dom.js';
import { CLINIC, clinicToday, plausibleDay } from './format.js';
import { errorText, t, type ShownError } from './i18n.js';
import { state } from './state.js';
import { openAgenda } from './views/agenda.js';
import { invitationInAddress, openInvitation } from './views/invitation.js';
import { stopPolling } from './views/images.js';
import { openPatient } from './views/patient.js';
import { openPatients } from './views/patients.js';
import { openAnswers, refreshAnswersBadge } from './views/answers.js';
import { openAccount } from './views/account.js';
import { mayManageTeam, openTeam } from './views/team.js';
import { openDentists, showDentistsTab } from './views/dentists.js';

export const views = ['login', 'agenda', 'patients', 'patient', 'failure', 'invitation', 'answers', 'account', 'team', 'dentists'] as const;
export type ViewName = (typeof views)[number];

/** The view on screen (none before the first route). */
let shown: ViewName | undefined;
/**
 * The view the address asks for while its route is loading: an earlier route still loading (the agenda after
 * signing in, when the person has already clicked "Minha conta") must not cover it when its answer comes.
 */
let wanted: ViewName | undefined;
/** What had the focus when the latest route began (the tab clicked, the language chosen). */
let focusAtRoute: Element | null = null;

/**
 * A tab the person moved to after the latest route began (by keyboard, while the view was still loading):
 * moving the focus to the loaded view's heading would take it from under them, and their Enter would land on
 * the heading instead of following the tab.
 */
function tabChosenSinceRoute(): boolean {
  const active = document.activeElement;
  return active !== null && active !== focusAtRoute && active.closest('#tabs') !== null;
}

/**
 * Shows one view; the tab bar and the document's title follow. Going to another view (not the first one of
 * the page's load, nor the same view again: a search as one types, another day) moves the focus to its
 * heading, so the keyboard and a screen reader start there instead of at the top of the page.
 */
export function show(name: ViewName, title?: string): void {
  // signed out (Sair, or the session ended) while a view was loading: its answer must not cover the sign-in form
  if (name === 'login') wanted = 'login';
  if (wanted && name !== wanted && (name === 'agenda' || name === 'patients' || name === 'patient' || name === 'answers' || name === 'account' || name === 'team' || name === 'dentists')) return;
  for (const v of views) $(`#view-${v}`).hidden = v !== name;
  const heading = $(`#view-${name} h1`);
  document.title = `${title ?? heading.textContent} · ${CLINIC} — ${t('staffArea')}`;
  if (shown !== undefined && shown !== name && !tabChosenSinceRoute()) heading.focus();
  shown = name;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#tabs a')) {
    const here = a.dataset.tab === name || (name === 'patient' && a.dataset.tab === 'patients');
    if (here) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

/** Opens the view the address names (the agenda of today by default). */
export async function route(): Promise<void> {
  const invitation = invitationInAddress();
  if (invitation) return openInvitation(invitation);
  if (!session.staff) return show('login');
  focusAtRoute = document.activeElement;
  stopPolling();
  showDentistsTab();
  const hash = location.hash.replace(/^#/, '') || '/agenda';
  const [path = '', q = ''] = hash.split('?');
  const params = new URLSearchParams(q);
  const patientMatch = /^\/patients\/([^/]+)$/.exec(path);
  const date = params.get('date');
  if (path !== '/answers') void refreshAnswersBadge();
  wanted = path === '/answers' ? 'answers' : patientMatch ? 'patient' : path.startsWith('/patients') ? 'patients' : path === '/conta' ? 'account' : path === '/equipe' ? 'team' : path === '/dentists' && canDo('staff') ? 'dentists' : 'agenda';
  try {
    if (path === '/answers') await openAnswers();
    else if (patientMatch) await openPatient(decodeURIComponent(patientMatch[1]!));
    else if (path.startsWith('/patients')) await openPatients(params.get('q') || '');
    else if (path === '/conta') await openAccount();
    else if (path === '/equipe') await (mayManageTeam() ? openTeam() : showFailure({ code: 'forbidden' }));
    else if (path === '/dentists' && canDo('staff')) await openDentists();
    else if (date && !plausibleDay(date)) showFailure({ key: 'err.date-format', vars: { field: t('book.date') } });
    // no day named (the Agenda tab, the first page): a dentist's own sign-in opens on their week ("Minha agenda")
    else await openAgenda(date || clinicToday(), params.get('dentist') ?? (date ? null : 'mine'));
  } catch (err) {
    if (statusOf(err) !== 401) showFailure(err as ShownError);
  }
}

/**
 * A view that could not be opened: an empty state with the reason, in place of the view — the previous
 * patient or day must not stay on screen under the new address.
 */
export function showFailure(err: ShownError): void {
  state.current = null;
  stopPolling();
  $('#failure-title').textContent = t(statusOf(err) === 404 ? 'failure.notFound' : 'failure.title');
  $('#failure-text').textContent = errorText(err);
  show('failure');
}
