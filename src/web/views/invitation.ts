/**
 * The invitation link (#invitation=<token>) and the enrolment of a second factor: the person sets a password
 * (refusals worded in the page's language), then an authenticator app (the QR code and the key as text, the code
 * it shows, then the 10 recovery codes to print or save) or a passkey. An account that signs in with a password
 * but has no second factor yet comes here too.
 */
import type { AcceptInvitationRequest, InvitationInfo, PasskeyReply, RecoveryCodesReply, SignInStep, TotpEnrolmentReply } from '../api-types.js';
import { api } from '../api.js';
import { $, clearError, field, h, setError, showError, whileBusy } from '../dom.js';
import { t, translateIn, type ShownError } from '../i18n.js';
import { passkeyRegistration } from '../passkey.js';
import { show } from '../router.js';
import { signedIn } from './login.js';

/** The token of the invitation being opened (from the address, which loses it once the password is set). */
let invitationToken = '';

/** The invitation's token in the address, if the page was opened from an invitation link. */
export const invitationInAddress = (): string | null => /^#invitation=([\w.-]+)$/.exec(location.hash)?.[1] ?? null;

function showPart(part: 'password' | 'enrol' | 'recovery'): void {
  $('#inv-form').hidden = part !== 'password';
  $('#enrol').hidden = part !== 'enrol';
  $('#recovery').hidden = part !== 'recovery';
  $('#totp-form').hidden = true;
}

export async function openInvitation(token: string): Promise<void> {
  invitationToken = token;
  show('invitation');
  showPart('password');
  const form = $<HTMLFormElement>('#inv-form');
  form.reset();
  const error = $('#inv-error');
  clearError(error);
  try {
    const { data } = await api<InvitationInfo>('POST', '/api/invitation', { token });
    $('#inv-intro').textContent = t('inv.intro', { name: data.name, clinic: data.clinicName });
    $('#inv-hint').textContent = t('inv.passwordHint', { min: data.password.min });
    field(form, 'username').value = data.email ?? ''; // for the browser's password manager
    field(form, 'password').focus();
  } catch (err) {
    $('#inv-intro').textContent = '';
    $('#inv-hint').textContent = '';
    for (const el of form.querySelectorAll<HTMLElement>('label, input, button')) el.hidden = true;
    setError(error, err as ShownError);
  }
}

/** The second factor to enrol, for a session that signed in with a password only. */
export function openEnrolment(): void {
  show('invitation');
  showPart('enrol');
  clearError($('#enrol-error'));
  $('#enrol h2').focus();
}

function showRecoveryCodes(codes: string[]): void {
  showPart('recovery');
  listRecoveryCodes('recovery', codes);
  $('#recovery h2').focus();
}

/** New recovery codes listed in #<prefix>-codes, for #<prefix>-save to save; none clears the list. */
export function listRecoveryCodes(prefix: string, codes: string[]): void {
  $(`#${prefix}-codes`).replaceChildren(...codes.map((c) => h('li', {}, c)));
  const save = $(`#${prefix}-save`);
  if (codes.length) save.dataset.codes = codes.join('\n');
  else delete save.dataset.codes;
}

/** The buttons under a list of recovery codes: #<prefix>-print prints the page, #<prefix>-save saves the codes to a file. */
export function wireRecoveryButtons(prefix: string): void {
  $(`#${prefix}-print`).addEventListener('click', () => window.print());
  $(`#${prefix}-save`).addEventListener('click', (e) => saveRecoveryCodes((e.currentTarget as HTMLElement).dataset.codes ?? ''));
}

/**
 * Fills an enrolment form (#<prefix>-form) with the page's one template of it (#totp-enrolment): the template's
 * data-id "x" becomes the id "<prefix>-x", so each copy's QR code, key, code field and error are its own.
 */
function fillTotpForm(form: HTMLFormElement, prefix: string): void {
  const fields = $<HTMLTemplateElement>('#totp-enrolment').content.cloneNode(true) as DocumentFragment;
  for (const el of fields.querySelectorAll<HTMLElement>('[data-id]')) el.id = `${prefix}-${el.dataset.id}`;
  for (const el of fields.querySelectorAll<HTMLLabelElement>('label[data-for]')) el.htmlFor = `${prefix}-${el.dataset.for}`;
  // in a narrow card the button spans it, as the card's other buttons do
  if (form.closest('.narrow')) $('button[type=submit]', fields).classList.add('wide');
  translateIn(fields);
  form.replaceChildren(fields);
}

/**
 * An authenticator app being enrolled (at the invitation and in Minha conta): `start` shows the QR code and the key
 * (#<prefix>-qr, -secret) in #<prefix>-form; the form sends the app's code (#<prefix>-code) and `done` gets the
 * recovery codes. A refused code is shown in #<prefix>-form-error.
 */
export function wireTotpEnrolment(ids: { prefix: string; start: string; startError: string }, done: (reply: RecoveryCodesReply) => void | Promise<void>): void {
  const form = $<HTMLFormElement>(`#${ids.prefix}-form`);
  fillTotpForm(form, ids.prefix);
  $(ids.start).addEventListener('click', async () => {
    clearError($(ids.startError));
    try {
      const { data } = await api<TotpEnrolmentReply>('POST', '/api/enrol/totp');
      const img = $<HTMLImageElement>(`#${ids.prefix}-qr`);
      img.src = data.qrDataUrl;
      img.alt = t('enrol.qrAlt');
      $(`#${ids.prefix}-secret`).textContent = data.secret;
      form.hidden = false;
      $<HTMLInputElement>(`#${ids.prefix}-code`).focus();
    } catch (err) {
      showError(err as ShownError, $<HTMLElement>(ids.startError));
    }
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const error = $(`#${ids.prefix}-form-error`);
    clearError(error);
    const code = field(form, 'code').value.replace(/\s+/g, '');
    if (!code) return showError({ key: 'code.empty', field: 'code' }, error);
    return whileBusy(form, async () => {
      try {
        const { data } = await api<RecoveryCodesReply>('POST', '/api/enrol/totp/verify', { code });
        form.reset();
        await done(data);
      } catch (err) {
        field(form, 'code').value = '';
        showError(err as ShownError, error);
      }
    });
  });
}

/** The recovery codes (one a line) saved to a text file the browser downloads. */
function saveRecoveryCodes(codes: string): void {
  const a = h('a', { href: URL.createObjectURL(new Blob([`${t('enrol.codesTitle')}\n\n${codes}\n`], { type: 'text/plain' })), download: 'recovery-codes.txt' });
  a.click();
  URL.revokeObjectURL(a.href);
}

export function wireInvitation(): void {
  const form = $<HTMLFormElement>('#inv-form');
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const error = $('#inv-error');
    clearError(error);
    const password = field(form, 'password').value;
    if (!password) return showError({ code: 'usage', reason: 'too-short', field: 'password', params: { min: 12 } }, error);
    return whileBusy(form, async () => {
      try {
        const { data } = await api<SignInStep>('POST', '/api/invitation/accept', { token: invitationToken, password } satisfies AcceptInvitationRequest);
        form.reset();
        invitationToken = '';
        history.replaceState(null, '', location.pathname); // the link is used: it leaves the address (and the history)
        if (data.next === 'done') {
          signedIn(data);
          location.hash = '#/agenda';
        } else if (data.next === 'enrol') openEnrolment();
        else show('login');
      } catch (err) {
        showError(err as ShownError, error);
      }
    });
  });

  wireTotpEnrolment({ prefix: 'totp', start: '#enrol-totp', startError: '#enrol-error' }, (data) => {
    if (data.me) signedIn(data.me);
    showRecoveryCodes(data.recoveryCodes);
  });

  $('#enrol-passkey').addEventListener('click', async () => {
    const error = $('#enrol-error');
    clearError(error);
    try {
      const response = await passkeyRegistration();
      if (!response) return setError(error, { key: 'login.passkeyCancelled' });
      const { data: done } = await api<PasskeyReply>('POST', '/api/enrol/passkey', { response });
      if (done.me) signedIn(done.me);
      location.hash = '#/agenda';
    } catch (err) {
      showError(err as ShownError, error);
    }
  });

  wireRecoveryButtons('recovery');
  $('#recovery-done').addEventListener('click', () => {
    listRecoveryCodes('recovery', []);
    location.hash = '#/agenda';
  });
}
