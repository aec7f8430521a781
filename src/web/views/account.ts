/**
 * "Minha conta" (#/conta): the signed-in person's own account — change the password (re-entering the current one;
 * the server's password rules worded beside the field), passkeys (add one with this device's authenticator,
 * remove one), the authenticator app (set up or switch, new recovery codes), and the open sessions with
 * "Encerrar" (one) and "Encerrar as outras".
 */
import type { ChangePasswordRequest, MeReply, PasskeyInfo, PasskeyReply, PasskeysReply, PasskeyVerifyRequest, RecoveryCodesReply, SessionInfo, SessionsReply } from '../api-types.js';
import { api, enc, session } from '../api.js';
import { $, ask, clearError, field, flash, h, setError, showError, whileBusy } from '../dom.js';
import { shortFmt } from '../format.js';
import { t, type ShownError } from '../i18n.js';
import { passkeyRegistration } from '../passkey.js';
import { show } from '../router.js';
import { listRecoveryCodes, wireRecoveryButtons, wireTotpEnrolment } from './invitation.js';
import { signedIn } from './login.js';

const when = (iso: string | undefined): string => (iso ? shortFmt().format(new Date(iso)) : t('account.never'));

/** A browser's user agent as a person reads it: "Chrome · Windows". */
function deviceOf(userAgent: string | undefined): string {
  if (!userAgent) return t('account.unknownDevice');
  const browser = /Edg\//.test(userAgent) ? 'Edge' : /Firefox\//.test(userAgent) ? 'Firefox' : /Chrom(e|ium)\//.test(userAgent) ? 'Chrome' : /Safari\//.test(userAgent) ? 'Safari' : '';
  const system = /Android/.test(userAgent) ? 'Android' : /iPhone|iPad/.test(userAgent) ? 'iOS' : /Windows/.test(userAgent) ? 'Windows' : /Mac OS X/.test(userAgent) ? 'macOS' : /Linux/.test(userAgent) ? 'Linux' : '';
  return [browser, system].filter(Boolean).join(' · ') || t('account.unknownDevice');
}

function renderWho(): void {
  const s = session.staff!;
  $('#account-who').textContent = [s.name, s.email, t(`role.${s.role}`)].filter(Boolean).join(' · ');
  const app = s.secondFactor.totp;
  $('#app-state').textContent = app ? t('account.appOn', { n: s.secondFactor.recoveryCodesLeft }) : t('account.appOff');
  $('#app-enrol').textContent = t(app ? 'account.appReenrol' : 'account.appEnrol');
  $('#app-codes').hidden = !app;
}

/** Who I am again (the factors changed): the header and this view follow. */
async function refreshMe(): Promise<void> {
  signedIn((await api<MeReply>('GET', '/api/me')).data);
  renderWho();
}

function renderPasskeys(passkeys: PasskeyInfo[]): void {
  const list = $('#passkey-list');
  if (!passkeys.length) return list.replaceChildren(h('li', { class: 'muted' }, t('account.noPasskeys')));
  list.replaceChildren(
    ...passkeys.map((p) =>
      h(
        'li',
        { class: 'row' },
        h('span', {}, h('strong', {}, p.name), h('br'), h('small', { class: 'muted' }, t('account.passkeyLine', { created: when(p.createdAt), used: when(p.lastUsedAt) }))),
        h('button', { type: 'button', class: 'btn small danger', 'aria-label': t('account.removePasskeyLabel', { name: p.name }), onclick: () => void removePasskey(p) }, t('account.removePasskey')),
      ),
    ),
  );
}

async function loadPasskeys(): Promise<void> {
  renderPasskeys((await api<PasskeysReply>('GET', '/api/me/passkeys')).data.passkeys);
}

async function removePasskey(p: PasskeyInfo): Promise<void> {
  if (!(await ask(t('account.removePasskeyAsk', { name: p.name }), t('account.removePasskey')))) return;
  try {
    await api('DELETE', `/api/me/passkeys/${enc(p.id)}`);
    flash(t('account.passkeyRemoved'));
    await Promise.all([loadPasskeys(), refreshMe()]);
  } catch (err) {
    showError(err as ShownError, $<HTMLElement>('#passkey-error'));
  }
}

function renderSessions(sessions: SessionInfo[]): void {
  $('#sessions-end-others').hidden = !sessions.some((s) => !s.current);
  $('#session-list').replaceChildren(
    ...sessions.map((s) => {
      const device = deviceOf(s.userAgent);
      return h(
        'li',
        { class: 'row', 'data-session': s.id },
        h(
          'span',
          {},
          h('strong', {}, device),
          s.current ? h('span', { class: 'badge' }, t('account.thisSession')) : null,
          h('br'),
          h('small', { class: 'muted' }, t('account.sessionLine', { created: when(s.createdAt), seen: when(s.lastSeenAt), ip: s.ip })),
        ),
        s.current ? null : h('button', { type: 'button', class: 'btn small', 'aria-label': t('account.endSessionLabel', { device }), onclick: () => void endSessions([s.id]) }, t('account.endSession')),
      );
    }),
  );
}

async function loadSessions(): Promise<SessionInfo[]> {
  const { sessions } = (await api<SessionsReply>('GET', '/api/me/sessions')).data;
  renderSessions(sessions);
  return sessions;
}

/** Ends these sessions of mine (one, or all the others), one request each (a session already gone counts as ended). */
async function endSessions(ids: string[], others = false): Promise<void> {
  const error = $('#sessions-error');
  clearError(error);
  try {
    for (const id of ids) {
      await api('DELETE', `/api/me/sessions/${enc(id)}`).catch((err: { reason?: string }) => {
        if (err.reason !== 'session-not-found') throw err;
      });
    }
    flash(others ? t('account.othersEnded', { n: ids.length }) : t('account.sessionEnded'));
  } catch (err) {
    showError(err as ShownError, error);
  }
  await loadSessions().catch(() => {});
}

function showRecovery(codes: string[]): void {
  $('#app-form').hidden = true;
  $('#app-recovery').hidden = false;
  listRecoveryCodes('app-recovery', codes);
}

function resetAccountView(): void {
  for (const id of ['pw-form', 'passkey-form', 'app-form']) $<HTMLFormElement>(`#${id}`).reset();
  for (const id of ['pw-error', 'passkey-error', 'app-error', 'app-form-error', 'sessions-error']) clearError($(`#${id}`));
  $('#app-form').hidden = true;
  $('#app-recovery').hidden = true;
  listRecoveryCodes('app-recovery', []);
}

export async function openAccount(): Promise<void> {
  resetAccountView();
  renderWho();
  show('account', t('account.title'));
  await Promise.all([loadPasskeys(), loadSessions()]);
}

export function wireAccount(): void {
  const pwForm = $<HTMLFormElement>('#pw-form');
  pwForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const error = $('#pw-error');
    clearError(error);
    const currentPassword = field(pwForm, 'currentPassword').value;
    const newPassword = field(pwForm, 'password').value;
    if (!currentPassword) return showError({ key: 'err.required', field: 'currentPassword' }, error);
    if (!newPassword) return showError({ key: 'err.required', field: 'password' }, error);
    return whileBusy(pwForm, async () => {
      try {
        signedIn((await api<MeReply>('POST', '/api/me/password', { currentPassword, newPassword } satisfies ChangePasswordRequest)).data);
        pwForm.reset();
        flash(t('account.passwordChanged'));
        await loadSessions();
      } catch (err) {
        showError(err as ShownError, error);
      }
    });
  });

  const passkeyForm = $<HTMLFormElement>('#passkey-form');
  passkeyForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const error = $('#passkey-error');
    clearError(error);
    const name = field(passkeyForm, 'name').value.trim();
    return whileBusy(passkeyForm, async () => {
      try {
        const response = await passkeyRegistration();
        if (!response) return setError(error, { key: 'login.passkeyCancelled' });
        await api<PasskeyReply>('POST', '/api/enrol/passkey', { response: response as PasskeyVerifyRequest['response'], ...(name ? { name } : {}) } satisfies PasskeyVerifyRequest);
        passkeyForm.reset();
        flash(t('account.passkeyAdded'));
        await Promise.all([loadPasskeys(), refreshMe()]);
      } catch (err) {
        showError(err as ShownError, error);
      }
    });
  });

  wireTotpEnrolment({ prefix: 'app', start: '#app-enrol', startError: '#app-error' }, async (data) => {
    showRecovery(data.recoveryCodes);
    flash(t('account.appDone'));
    await refreshMe();
  });

  $('#app-codes').addEventListener('click', async () => {
    const error = $('#app-error');
    clearError(error);
    if (!(await ask(t('account.newCodesAsk'), t('account.newCodes')))) return;
    try {
      showRecovery((await api<RecoveryCodesReply>('POST', '/api/me/recovery-codes')).data.recoveryCodes);
      await refreshMe();
    } catch (err) {
      showError(err as ShownError, error);
    }
  });
  wireRecoveryButtons('app-recovery');

  $('#sessions-end-others').addEventListener('click', async () => {
    const others = (await loadSessions().catch(() => [] as SessionInfo[])).filter((s) => !s.current).map((s) => s.id);
    if (!others.length) return flash(t('account.noOthers'));
    await endSessions(others, true);
  });
}
