/**
 * "Minha conta" and "Equipe" on the staff page in headless Chromium (Debian's, driven by playwright-core) against
 * the real server and local S3, with an injected clock: changing the password (wrong current and weak ones refused,
 * then the old one no longer signs in), a passkey added and removed with Chromium's virtual authenticator, another
 * browser's session ended, an admin inviting a member whose link works, changing their role, revoking them (their
 * open session ends), an API token created and revoked; a non-admin without Equipe (and refused by the server);
 * English at 390 px with the keyboard. Each test signs in its own accounts.
 */
import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StaffRole } from '../../src/clinic/staff.js';
import { hasChromium, holdAnswers, launchChromium } from '../helpers/chromium.js';
import { useServerHarness, type ServerHarness } from '../server/harness.js';

const GOOD_PASSWORD = 'cavalo azul pedra lua';
const NEW_PASSWORD = 'girafa verde nuvem rio';

let h: ServerHarness;
let browser: Browser;
/** the page's address on `localhost` (a WebAuthn relying party must be a domain, not an IP address) */
let url: string;
let clock = Date.parse('2026-12-07T12:00:00Z');
const pageErrors: string[] = [];
let serial = 0;

const appCode = (secret: string): Promise<string> => generate({ secret, epoch: Math.floor(clock / 1000) });

interface Person {
  id: string;
  name: string;
  email: string;
  /** the TOTP key enrolled */
  secret: string;
  page: Page;
}

async function newPage(options: { width?: number; locale?: string } = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: options.width ?? 1280, height: 860 }, locale: options.locale ?? 'pt-BR' });
  const p = await context.newPage();
  p.on('pageerror', (e) => pageErrors.push(e.message));
  return p;
}

/** Sets the password on an opened invitation link and enrols an authenticator app: signed in, on the agenda. */
async function acceptAndEnrol(p: Page, link: string): Promise<string> {
  await p.goto(link);
  await p.waitForSelector('#inv-form:not([hidden]) #inv-password');
  await p.locator('#inv-intro').filter({ hasText: /\S/ }).waitFor();
  await p.fill('#inv-password', GOOD_PASSWORD);
  await p.click('#inv-form button[type=submit]');
  await p.waitForSelector('#enrol:not([hidden])');
  await p.click('#enrol-totp');
  await p.waitForSelector('#totp-form:not([hidden])');
  const secret = (await p.textContent('#totp-secret'))!.trim();
  await p.fill('#totp-code', await appCode(secret));
  await p.click('#totp-form button[type=submit]');
  await p.waitForSelector('#recovery:not([hidden])');
  await p.click('#recovery-done');
  await p.waitForSelector('#tabs:not([hidden])');
  return secret;
}

/** A new account (invited through the API by the harness's admin token), signed in on its own browser context. */
async function person(role: StaffRole, options: { width?: number; locale?: string } = {}): Promise<Person> {
  const n = ++serial;
  const name = `Pessoa ${role} ${n}`;
  const email = `p${n}.${Date.now()}@clinica.com.br`;
  const r = await h.call('POST', '/api/staff', { token: h.tokens.admin, body: { name, email, role } });
  expect(r.status).toBe(201);
  const page = await newPage(options);
  const secret = await acceptAndEnrol(page, String(r.body.invitation.invitationUrl).replace('127.0.0.1', 'localhost'));
  return { id: r.body.staff.id, name, email, secret, page };
}

/** The page's session cookie, for calling the API as that browser. */
async function cookieOf(p: Page): Promise<string> {
  return (await p.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
}

/** Signs in on the sign-in form with a password and the app's next code (the clock moves to the next step). */
async function signIn(p: Page, who: Person, password: string): Promise<void> {
  await p.fill('#login-email', who.email);
  await p.fill('#login-password', password);
  await p.click('#login-form button[type=submit]');
  await p.waitForSelector('#code-form:not([hidden])');
  clock += 30_000;
  await p.fill('#code', await appCode(who.secret));
  await p.click('#code-form button[type=submit]');
  await p.waitForSelector('#tabs:not([hidden])');
}

async function openSection(p: Page, tab: 'account' | 'team'): Promise<void> {
  await p.click(`#tabs a[data-tab=${tab}]`);
  await p.waitForSelector(`#view-${tab}:not([hidden])`);
}

/**
 * Does `action` and waits for the flash message it leads to. The message shows for 3.5 s: on a loaded machine a
 * wait begun after the action (polled from the test, with pauses) can look only once it has gone, so the page
 * watches for it from before the action.
 */
async function flashAfter(p: Page, text: string, action: () => Promise<unknown>): Promise<void> {
  const shown = p.waitForFunction((t) => {
    const flash = document.querySelector<HTMLElement>('#flash');
    return Boolean(flash && !flash.hidden && flash.textContent?.includes(t));
  }, text);
  await action();
  await shown;
}

/** Answers the page's "are you sure?" dialog with its action button. */
async function confirmAsk(p: Page): Promise<void> {
  await p.waitForSelector('#ask-dialog[open]');
  await p.click('#ask-yes');
}

describe.skipIf(!hasChromium)('Minha conta and Equipe on the staff page', () => {
  h = useServerHarness({ now: () => new Date(clock), auth: { now: () => clock } });
  beforeAll(async () => {
    url = h.url.replace('127.0.0.1', 'localhost');
    browser = await launchChromium();
  }, 90_000);

  afterEach(async () => {
    for (const c of browser.contexts()) await c.close();
    expect(pageErrors.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('changes the password: a wrong current one and a weak new one refused inline, then the old one no longer signs in', async () => {
    const ana = await person('dentist');
    const p = ana.page;
    await openSection(p, 'account');
    expect(await p.textContent('#account-who')).toContain(ana.email);

    await p.fill('#pw-current', 'not my password at all');
    await p.fill('#pw-new', NEW_PASSWORD);
    await p.click('#pw-form button[type=submit]');
    await p.locator('#pw-error', { hasText: 'senha atual não está certa' }).waitFor();

    await p.fill('#pw-current', GOOD_PASSWORD);
    await p.fill('#pw-new', 'senha12345678');
    await p.click('#pw-form button[type=submit]');
    await p.locator('#pw-error', { hasText: 'comum demais' }).waitFor();
    expect(await p.getAttribute('#pw-new', 'aria-invalid')).toBe('true');

    await p.fill('#pw-current', GOOD_PASSWORD);
    await p.fill('#pw-new', NEW_PASSWORD);
    await flashAfter(p, 'Senha trocada', () => p.click('#pw-form button[type=submit]'));
    expect(await p.isHidden('#pw-error')).toBe(true);
    expect(await p.inputValue('#pw-current')).toBe('');
    // the page's session goes on (a new one was opened for it)
    expect((await h.call('GET', '/api/me', { headers: { cookie: await cookieOf(p) } })).status).toBe(200);

    await p.click('#logout');
    await p.waitForSelector('#view-login:not([hidden])');
    await p.fill('#login-email', ana.email);
    await p.fill('#login-password', GOOD_PASSWORD);
    await p.click('#login-form button[type=submit]');
    await p.locator('#login-error', { hasText: 'E-mail ou senha incorretos' }).waitFor();
    await signIn(p, ana, NEW_PASSWORD);
    expect(await p.textContent('#who')).toContain(ana.name);
  }, 90_000);

  it('adds a passkey with the virtual authenticator, signs in with it, then removes it', async () => {
    const bia = await person('assistant');
    const p = bia.page;
    const cdp = await p.context().newCDPSession(p);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    await openSection(p, 'account');
    await p.locator('#passkey-list', { hasText: 'Nenhuma passkey' }).waitFor();
    await p.fill('#passkey-name', 'Notebook da Bia');
    await p.click('#passkey-form button[type=submit]');
    await p.locator('#passkey-list li', { hasText: 'Notebook da Bia' }).waitFor();
    const me = await h.call('GET', '/api/me', { headers: { cookie: await cookieOf(p) } });
    expect(me.body.staff.secondFactor.passkeys).toBe(1);

    // the passkey alone signs in
    await p.click('#logout');
    await p.waitForSelector('#view-login:not([hidden])');
    await p.click('#login-passkey');
    await p.waitForSelector('#tabs:not([hidden])');
    await openSection(p, 'account');
    await p.locator('#passkey-list li', { hasText: /último uso: \d/ }).waitFor();

    await p.click('#passkey-list button');
    await confirmAsk(p);
    await p.locator('#passkey-list', { hasText: 'Nenhuma passkey' }).waitFor();
    const after = await h.call('GET', '/api/me/passkeys', { headers: { cookie: await cookieOf(p) } });
    expect(after.body.passkeys).toEqual([]);
  }, 90_000);

  it('switches the authenticator app (a lost phone): new recovery codes, and the old app codes stop working', async () => {
    const rui = await person('dentist');
    const p = rui.page;
    await openSection(p, 'account');
    expect(await p.textContent('#app-state')).toContain('Códigos de recuperação restantes: 10');
    await p.click('#app-enrol');
    await p.waitForSelector('#app-form:not([hidden])');
    const secret = (await p.textContent('#app-secret'))!.trim();
    expect(secret).not.toBe(rui.secret);
    clock += 30_000;
    await p.fill('#app-code', await appCode(rui.secret)); // the old phone's code does not confirm the new one
    await p.click('#app-form button[type=submit]');
    await p.locator('#app-form-error', { hasText: 'Código incorreto' }).waitFor();
    await p.fill('#app-code', await appCode(secret));
    await p.click('#app-form button[type=submit]');
    await p.waitForSelector('#app-recovery:not([hidden])');
    expect(await p.locator('#app-recovery-codes li').count()).toBe(10);

    await p.click('#logout');
    await p.waitForSelector('#view-login:not([hidden])');
    await p.fill('#login-email', rui.email);
    await p.fill('#login-password', GOOD_PASSWORD);
    await p.click('#login-form button[type=submit]');
    await p.waitForSelector('#code-form:not([hidden])');
    clock += 30_000;
    await p.fill('#code', await appCode(rui.secret));
    await p.click('#code-form button[type=submit]');
    await p.locator('#code-error', { hasText: 'Código incorreto' }).waitFor();
    await p.fill('#code', await appCode(secret));
    await p.click('#code-form button[type=submit]');
    await p.waitForSelector('#tabs:not([hidden])');
  }, 90_000);

  it('ends the session of another browser: that browser is signed out and says why', async () => {
    const caio = await person('reception');
    const other = await newPage();
    await other.goto(`${url}/`);
    await signIn(other, caio, GOOD_PASSWORD);

    const p = caio.page;
    await openSection(p, 'account');
    await p.locator('#session-list li').nth(1).waitFor();
    expect(await p.locator('#session-list li').count()).toBe(2);
    expect(await p.locator('#session-list li', { hasText: 'esta sessão' }).count()).toBe(1);
    await flashAfter(p, 'Sessão encerrada', () => p.click('#session-list li:not(:has-text("esta sessão")) button'));
    await p.waitForFunction(() => document.querySelectorAll('#session-list li').length === 1);

    await other.click('#tabs a[data-tab=patients]');
    await other.waitForSelector('#view-login:not([hidden])');
    expect(await other.textContent('#login-why')).toMatch(/encerrada/);
    // this browser is still in
    expect((await h.call('GET', '/api/me', { headers: { cookie: await cookieOf(p) } })).status).toBe(200);

    // "Encerrar as outras": a third browser, then every other session of the account ends at once
    const third = await newPage();
    await third.goto(`${url}/`);
    await signIn(third, caio, GOOD_PASSWORD);
    await p.reload();
    await p.waitForSelector('#view-account:not([hidden])');
    await p.locator('#session-list li').nth(1).waitFor();
    await flashAfter(p, 'outra sessão encerrada', () => p.click('#sessions-end-others'));
    expect((await h.call('GET', '/api/me', { headers: { cookie: await cookieOf(third) } })).status).toBe(401);
    expect((await h.call('GET', '/api/me', { headers: { cookie: await cookieOf(p) } })).status).toBe(200);
  }, 90_000);

  it('an admin invites a member (the link works), changes their role, revokes them (their session ends), creates and revokes an API token', async () => {
    const admin = await person('admin');
    const p = admin.page;
    await openSection(p, 'team');
    await p.locator('#team-table tr', { hasText: admin.name }).waitFor();

    const email = `novo.${Date.now()}@clinica.com.br`;
    await p.fill('#invite-name', 'Davi Novo');
    await p.fill('#invite-email', email);
    await p.selectOption('#invite-role', 'reception');
    await p.click('#invite-form button[type=submit]');
    await p.waitForSelector('#team-link:not([hidden])');
    expect(await p.textContent('#team-link-text')).toMatch(/Davi Novo.*válido até \d\d\/12\/2026/);
    const link = await p.inputValue('#team-link-value');
    expect(link).toMatch(/^http:\/\/localhost:\d+\/#invitation=/);
    const row = p.locator('#team-table tr', { hasText: 'Davi Novo' });
    await row.locator('[data-status=invited]').waitFor();

    // the member opens the link in their own browser and enrols
    const member = await newPage();
    await acceptAndEnrol(member, link);
    expect(await member.textContent('#who')).toContain('Davi Novo');

    await p.click('#tabs a[data-tab=agenda]');
    await openSection(p, 'team');
    await row.locator('[data-status=active]').waitFor();
    expect(await row.locator('td').nth(5).textContent()).toBe('1');
    await flashAfter(p, 'Função de Davi Novo: dentista', () => row.locator('select').selectOption('dentist'));
    const memberId = (await row.getAttribute('data-staff'))!;
    const team = await h.call('GET', '/api/staff', { token: h.tokens.admin });
    expect(team.body.staff.find((s: { id: string }) => s.id === memberId).role).toBe('dentist');

    await row.locator('button[data-action=revoke]').click();
    await flashAfter(p, 'Davi Novo revogado', () => confirmAsk(p));
    await row.locator('[data-status=revoked]').waitFor();
    await member.click('#tabs a[data-tab=patients]');
    await member.waitForSelector('#view-login:not([hidden])');
    expect(await member.textContent('#login-why')).toMatch(/encerrada/); // the revoke deleted its sessions

    // an API token: shown once, works as a bearer token, then revoked
    await p.fill('#token-name', 'backup noturno');
    await p.fill('#token-days', '30');
    await p.click('#token-form button[type=submit]');
    await p.locator('#team-link-text', { hasText: 'backup noturno' }).waitFor();
    const token = await p.inputValue('#team-link-value');
    expect((await h.call('GET', '/api/me', { token })).body.staff.id).toBe(admin.id);
    await p.locator('#token-list li', { hasText: 'backup noturno' }).locator('button').click();
    await confirmAsk(p);
    await p.locator('#token-list li', { hasText: 'revogado em' }).waitFor();
    expect((await h.call('GET', '/api/me', { token })).status).toBe(401);
  }, 120_000);

  it('a non-admin has no Equipe: no menu entry, the address shows a refusal, the server answers 403', async () => {
    const eva = await person('dentist');
    const p = eva.page;
    expect(await p.isHidden('#tabs a[data-tab=team]')).toBe(true);
    expect(await p.isVisible('#tabs a[data-tab=account]')).toBe(true);
    await p.goto(`${url}/#/equipe`);
    await p.waitForSelector('#view-failure:not([hidden])');
    expect(await p.textContent('#failure-text')).toMatch(/não tem acesso/);
    const cookie = await cookieOf(p);
    expect((await h.call('GET', '/api/staff', { headers: { cookie } })).status).toBe(403);
    expect((await h.call('GET', '/api/tokens', { headers: { cookie } })).status).toBe(403);
    const origin = { cookie, origin: url, 'sec-fetch-site': 'same-origin' };
    expect((await h.call('POST', '/api/staff', { headers: origin, body: { name: 'X', email: 'x@clinica.com.br', role: 'admin' } })).status).toBe(403);
  }, 90_000);

  it('a tab chosen by keyboard while the agenda still loads keeps the focus; Enter then follows it', async () => {
    const p = (await person('reception')).page;
    await openSection(p, 'account');
    // the agenda's answer is held back: the person moves to another tab while it loads
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    await p.route('**/api/appointments?*', async (r) => {
      await held;
      await r.continue();
    });
    // waited for from before the address changes: the page may ask before evaluate's answer comes back
    const asked = p.waitForRequest('**/api/appointments?*');
    await p.evaluate(() => (location.hash = '#/agenda?date=2026-12-08'));
    await asked;
    await p.locator('#tabs a[data-tab=patients]').focus();
    release();
    await p.waitForSelector('#view-agenda:not([hidden])');
    expect(await p.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.tab)).toBe('patients');
    await p.keyboard.press('Enter');
    await p.waitForSelector('#view-patients:not([hidden])');
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('patients-title');
  }, 90_000);

  it('signing out while the agenda still loads: its late answer does not cover the sign-in form', async () => {
    const p = (await person('reception')).page;
    await openSection(p, 'account');
    // the server answers while the person is still signed in; the answer reaches the page late (a slow link)
    const agenda = await holdAnswers(p, '**/api/appointments?*');
    const rosters = Promise.all([p.waitForResponse('**/api/dentists'), p.waitForResponse('**/api/chairs')]);
    await p.evaluate(() => (location.hash = '#/agenda?date=2026-12-09'));
    await Promise.all([agenda.answered, rosters]);
    await p.click('#logout');
    await p.waitForSelector('#view-login:not([hidden])');
    agenda.release();
    // the agenda's answer handled: the day is written into the view in the same step that would show it
    await p.waitForFunction(() => document.querySelector<HTMLInputElement>('#day')?.value === '2026-12-09');
    expect(await p.isVisible('#view-login')).toBe(true);
    expect(await p.isHidden('#view-agenda')).toBe(true);
  }, 90_000);

  it('in English at 390 px with the keyboard: My account and Team fit the screen, the password changes by keyboard', async () => {
    const fay = await person('admin', { width: 390, locale: 'en' });
    const p = fay.page;
    await p.selectOption('#lang-select', 'en');
    await p.locator('#tabs a[data-tab=account]').focus();
    await p.keyboard.press('Enter');
    await p.waitForSelector('#view-account:not([hidden])');
    expect(await p.textContent('#account-title')).toBe('My account');
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('account-title');
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);

    // Tab from the heading to the current password, type both, Enter
    for (let i = 0; i < 5 && (await p.evaluate(() => document.activeElement?.id)) !== 'pw-current'; i++) await p.keyboard.press('Tab');
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('pw-current');
    await p.keyboard.type(GOOD_PASSWORD);
    await p.keyboard.press('Tab');
    await p.keyboard.type('senha12345678');
    await p.keyboard.press('Enter');
    await p.locator('#pw-error', { hasText: 'too common' }).waitFor();
    await p.fill('#pw-new', NEW_PASSWORD);
    await flashAfter(p, 'Password changed', () => p.keyboard.press('Enter'));

    await p.locator('#tabs a[data-tab=team]').focus();
    await p.keyboard.press('Enter');
    await p.waitForSelector('#view-team:not([hidden])');
    await p.locator('#team-table tr', { hasText: fay.name }).waitFor();
    expect(await p.textContent('#team-title')).toBe('Team');
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    // the invite form by keyboard: the name, the e-mail, the role, then Enter
    await p.locator('#invite-name').focus();
    await p.keyboard.type('Gil Teclado');
    await p.keyboard.press('Tab');
    await p.keyboard.type(`gil.${Date.now()}@clinica.com.br`);
    await p.keyboard.press('Enter');
    await p.locator('#team-link-text', { hasText: 'Invitation for Gil Teclado' }).waitFor();
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('team-link-value');
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  }, 90_000);
});
