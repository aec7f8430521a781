/** The login view and the session: log in with a staff token, who is logged in (header), log out. */
import type { LoginRequest, SessionResponse } from '../api-types.js';
import { api, session, statusOf } from '../api.js';
import { $, clearError, h, showError, whileBusy } from '../dom.js';
import { t, type ShownError } from '../i18n.js';
import { route, show } from '../router.js';
import { stopPolling } from './images.js';

async function login(token: string): Promise<void> {
  const { data } = await api<SessionResponse>('POST', '/api/login', { token } satisfies LoginRequest);
  session.token = token;
  session.staff = data.staff;
  session.permissions = data.permissions;
}

/** The token kept from before (this tab): who it is, if it still works. */
export async function resumeSession(): Promise<void> {
  if (!session.token) return;
  try {
    const { data } = await api<SessionResponse>('GET', '/api/me');
    session.staff = data.staff;
    session.permissions = data.permissions;
    showLoggedIn(true);
  } catch {
    session.token = null;
  }
}

export function logout(): void {
  session.token = null;
  session.staff = null;
  session.permissions = [];
  stopPolling();
  showLoggedIn(false);
  location.hash = '';
  show('login');
}

export function showLoggedIn(on: boolean): void {
  $('#tabs').hidden = !on;
  $('#logout').hidden = !on;
  const who = $('#who');
  who.hidden = !on;
  who.replaceChildren();
  if (on && session.staff) who.append(h('strong', {}, session.staff.name), ` · ${t(`role.${session.staff.role}`)}`);
}

export function wireLogin(): void {
  $<HTMLFormElement>('#login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const error = $('#login-error');
    clearError(error);
    const input = $<HTMLInputElement>('#token');
    const token = input.value.trim();
    if (!token) return showError({ key: 'login.empty', field: 'token' }, error);
    return whileBusy(ev.target as HTMLFormElement, async () => {
      try {
        await login(token);
        input.value = '';
        showLoggedIn(true);
        if (!location.hash || location.hash === '#') location.hash = '#/agenda';
        else await route();
      } catch (err) {
        showError(statusOf(err) === 401 ? { key: 'login.bad', field: 'token' } : (err as ShownError), error);
      }
    });
  });
  $('#logout').addEventListener('click', logout);
}
