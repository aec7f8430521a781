/**
 * Signing in (e-mail and password, then the app's code, a recovery code or a passkey; or a passkey alone), who is
 * signed in (header), signing out, and a session that ends while the person works: the sign-in steps open in a
 * dialog over the page, saying why, so a form being filled in stays as it was (and is sent after signing in again).
 */
import type { MeReply, SecondFactorRequest, SignedIn, SignInRequest, SignInStep } from '../api-types.js';
import { api, session } from '../api.js';
import { $, clearError, dialog, field, flash, h, setError, showError, whileBusy } from '../dom.js';
import { hasText, t, type ShownError } from '../i18n.js';
import { passkeyAssertion } from '../passkey.js';
import { route, show } from '../router.js';
import { stopPolling } from './images.js';
import { openEnrolment } from './invitation.js';
import { showTeamTab } from './team.js';

/** Who this session is, as /api/me (or the last sign-in step) said. */
export function signedIn(me: MeReply): void {
  session.staff = me.staff;
  session.permissions = me.permissions;
  session.demo = me.demo === true;
  showLoggedIn(true);
}

/** The session kept by the browser's cookie: who it is, if it still works. */
export async function resumeSession(): Promise<void> {
  try {
    signedIn((await api<MeReply>('GET', '/api/me')).data);
  } catch {
    session.staff = null;
  }
}

function forget(): void {
  session.staff = null;
  session.permissions = [];
  session.demo = false;
  stopPolling();
  showLoggedIn(false);
}

/** Sign-out: the server ends the session; the page shows the sign-in form. */
export async function signOut(): Promise<void> {
  await api('POST', '/api/sign-out').catch(() => {});
  forget();
  resetSignIn();
  location.hash = '';
  show('login');
}

/**
 * The server said the session ended (401, with why). Over a form or dialog being filled in, the sign-in steps
 * open in a dialog on top, saying why: nothing typed is lost, and the form can be sent once signed in again.
 * Otherwise the sign-in view says why.
 */
export function sessionEnded(reason: string | undefined): void {
  // Requests sent together all come back 401: the first says why (idle), and its check deleted the session, so
  // the later ones only say "signed out". The page already says why; they change nothing.
  if (session.staff === null) return;
  const why: ShownError = { key: reason && hasText(`session.why.${reason}`) ? (`session.why.${reason}` as 'session.why.idle') : 'session.why.other' };
  forget();
  resetSignIn();
  setError($('#login-why'), why);
  const working = document.querySelector('dialog[open]:not(#reauth-dialog)') || hasTypedInput();
  if (working) {
    const d = dialog('reauth-dialog');
    d.append($('#signin'));
    if (!d.open) d.showModal();
    $<HTMLInputElement>('#login-email').focus();
    return;
  }
  show('login');
}

/** Something typed in a visible view's form (not the sign-in's): a search, a note. */
function hasTypedInput(): boolean {
  for (const el of document.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>('.view:not([hidden]) form textarea, .view:not([hidden]) form input[type=text]')) {
    if (el.value !== el.defaultValue) return true;
  }
  return false;
}

/** The sign-in steps back at the first one, empty, in the sign-in view. */
function resetSignIn(): void {
  const d = dialog('reauth-dialog');
  if (d.open) d.close();
  $('#view-login .card').append($('#signin'));
  for (const id of ['login-form', 'code-form']) {
    $<HTMLFormElement>(`#${id}`).reset();
    clearError($(`#${id.replace('-form', '')}-error`));
  }
  clearError($('#login-why'));
  showCodeStep(false);
}

function showCodeStep(on: boolean, methods: string[] = []): void {
  $('#login-form').hidden = on;
  $('#code-form').hidden = !on;
  useRecovery(false);
  $('#code-passkey').hidden = !methods.includes('passkey');
  $('#code-switch').hidden = !methods.includes('recovery-code');
  $('#code-app').hidden = !methods.includes('totp');
  if (on) $<HTMLInputElement>(methods.includes('totp') ? '#code' : '#code-passkey').focus();
}

function useRecovery(on: boolean): void {
  $('#code-app').hidden = on;
  $('#code-recovery').hidden = !on;
  const sw = $('#code-switch');
  sw.dataset.i18n = on ? 'code.useApp' : 'code.useRecovery';
  sw.textContent = t(on ? 'code.useApp' : 'code.useRecovery');
}

/** Signed in: back to the work (the dialog over an open form closes; the view under it stays as it was). */
async function done(me: MeReply & { recoveryCodesLeft?: number }): Promise<void> {
  const reauth = dialog('reauth-dialog').open;
  signedIn(me);
  resetSignIn();
  if (me.recoveryCodesLeft !== undefined) flash(t('code.recoveryLeft', { n: me.recoveryCodesLeft }));
  if (reauth) return;
  if (!location.hash || location.hash === '#') location.hash = '#/agenda';
  else await route();
}

/** A passkey alone signs in (it is both factors). */
async function passkeySignIn(error: HTMLElement): Promise<void> {
  clearError(error);
  try {
    const response = await passkeyAssertion();
    if (!response) return setError(error, { key: 'login.passkeyCancelled' });
    await done((await api<SignedIn>('POST', '/api/sign-in/passkey', { response })).data);
  } catch (err) {
    showError(err as ShownError, error);
  }
}

async function afterPassword(step: SignInStep): Promise<void> {
  if (step.next === 'done') return done(step);
  if (step.next === 'enrol') return openEnrolment();
  showCodeStep(true, step.methods);
}

export function showLoggedIn(on: boolean): void {
  $('#tabs').hidden = !on;
  $('#logout').hidden = !on;
  const who = $('#who');
  who.hidden = !on;
  who.replaceChildren();
  if (on && session.staff) {
    who.append(h('strong', {}, session.staff.name), ` · ${t(`role.${session.staff.role}`)}`);
    if (session.demo) who.append(h('span', { class: 'demo-badge' }, t('login.demo')));
  }
  showTeamTab();
}

export function wireLogin(): void {
  const loginForm = $<HTMLFormElement>('#login-form');
  loginForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const error = $('#login-error');
    clearError(error);
    const email = field(loginForm, 'email').value.trim();
    const password = field(loginForm, 'password').value;
    if (!email || !password) return showError({ key: 'login.empty', field: email ? 'password' : 'email' }, error);
    return whileBusy(loginForm, async () => {
      try {
        const { data } = await api<SignInStep>('POST', '/api/sign-in', { email, password } satisfies SignInRequest);
        field(loginForm, 'password').value = '';
        await afterPassword(data);
      } catch (err) {
        showError(err as ShownError, error);
      }
    });
  });
  const codeForm = $<HTMLFormElement>('#code-form');
  codeForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const error = $('#code-error');
    clearError(error);
    const recovery = !$('#code-recovery').hidden;
    const code = field(codeForm, recovery ? 'recoveryCode' : 'code').value.replace(/\s+/g, '');
    if (!code) return showError({ key: 'code.empty', field: recovery ? 'recoveryCode' : 'code' }, error);
    const body: SecondFactorRequest = recovery ? { recoveryCode: code } : { code };
    return whileBusy(codeForm, async () => {
      try {
        await done((await api<SignedIn>('POST', '/api/sign-in/code', body)).data);
      } catch (err) {
        field(codeForm, recovery ? 'recoveryCode' : 'code').value = '';
        const e = err as ShownError & { reason?: string };
        // the half-open session is gone (too late, or ended): start again from the password
        if (e.reason === 'second-factor' || e.reason === 'signed-out') {
          showCodeStep(false);
          return showError(e, $<HTMLElement>('#login-error'));
        }
        showError(e, error);
      }
    });
  });
  $('#code-switch').addEventListener('click', () => {
    useRecovery($('#code-recovery').hidden);
    $<HTMLInputElement>($('#code-recovery').hidden ? '#code' : '#recovery-code').focus();
  });
  $('#code-back').addEventListener('click', () => {
    showCodeStep(false);
    $<HTMLInputElement>('#login-email').focus();
  });
  $('#login-passkey').addEventListener('click', () => void passkeySignIn($('#login-error')));
  $('#code-passkey').addEventListener('click', () => void passkeySignIn($('#code-error')));
  $('#logout').addEventListener('click', () => void signOut());
  // the dialog over an open form closes only by signing in (Esc would leave a page that is signed out)
  dialog('reauth-dialog').addEventListener('cancel', (e) => e.preventDefault());
}
