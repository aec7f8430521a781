/**
 * Signing in on the staff page in headless Chromium (Debian's, driven by playwright-core) against a server with
 * an injected clock: the invitation link → a password (a common pt-BR one refused, worded on the page) → TOTP
 * enrolment (the code computed with otplib) → recovery codes → sign out → sign in with the code (a replayed one
 * refused) → the idle timeout → a revoke made as the CLI makes it ends the open session, over an open form that
 * keeps what was typed; a passkey registered and used with Chromium's virtual authenticator (the DevTools
 * protocol's WebAuthn domain); English; 390 px; the keyboard alone. Each test invites its own account.
 */
import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { revokeStaff } from '../../src/clinic/staff.js';
import { hasChromium, launchChromium } from '../helpers/chromium.js';
import { useServerHarness, type ServerHarness } from '../server/harness.js';

const GOOD_PASSWORD = 'cavalo azul pedra lua';

let h: ServerHarness;
let browser: Browser;
/** the page's address on `localhost` (a WebAuthn relying party must be a domain, not an IP address) */
let url: string;
let clock = Date.parse('2026-12-07T12:00:00Z');
const pageErrors: string[] = [];

/** The code the person's app shows now. */
const appCode = async (secret: string): Promise<string> => generate({ secret, epoch: Math.floor(clock / 1000) });

/** A new account invited by the admin (through the API, as the Equipe page does): its id and invitation link. */
async function invite(name: string, email: string): Promise<{ id: string; email: string; link: string }> {
  const r = await h.call('POST', '/api/staff', { token: h.tokens.admin, body: { name, email, role: 'dentist' } });
  expect(r.status).toBe(201);
  return { id: r.body.staff.id, email, link: String(r.body.invitation.invitationUrl).replace('127.0.0.1', 'localhost') };
}

async function newPage(options: { width?: number; locale?: string } = {}): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: options.width ?? 1280, height: 860 }, locale: options.locale ?? 'pt-BR' });
  p.on('pageerror', (e) => pageErrors.push(e.message));
  return p;
}

/** Opens the invitation and sets the password: the enrolment step is on screen. */
async function acceptInvitation(p: Page, link: string): Promise<void> {
  await p.goto(link);
  await p.locator('#inv-intro', { hasText: 'crie a sua senha' }).waitFor();
  await p.fill('#inv-password', GOOD_PASSWORD);
  await p.click('#inv-form button[type=submit]');
  await p.waitForSelector('#enrol:not([hidden])');
}

describe.skipIf(!hasChromium)('sign-in on the staff page', () => {
  h = useServerHarness({ now: () => new Date(clock), auth: { now: () => clock } });
  beforeAll(async () => {
    url = h.url.replace('127.0.0.1', 'localhost');
    browser = await launchChromium();
  }, 90_000);

  afterEach(() => {
    expect(pageErrors.splice(0)).toEqual([]);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('invitation → password → TOTP → recovery codes → sign out → sign in → idle timeout → revoke over an open form', async () => {
    const ana = await invite('Dra. Ana Souza', `ana+${Date.now()}@clinica.com.br`);
    const p = await newPage();
    await p.goto(ana.link);
    await p.locator('#inv-intro', { hasText: 'Dra. Ana Souza' }).waitFor();
    // a common Brazilian password is refused, in Portuguese
    await p.fill('#inv-password', 'senha12345678');
    await p.click('#inv-form button[type=submit]');
    await p.locator('#inv-error', { hasText: 'comum demais' }).waitFor();
    await p.fill('#inv-password', GOOD_PASSWORD);
    await p.click('#inv-form button[type=submit]');
    await p.waitForSelector('#enrol:not([hidden])');
    expect(p.url()).not.toContain('invitation='); // the used link leaves the address

    await p.click('#enrol-totp');
    await p.waitForSelector('#totp-form:not([hidden])');
    const secret = (await p.textContent('#totp-secret'))!.trim();
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    expect(await p.getAttribute('#totp-qr', 'src')).toMatch(/^data:image\/svg\+xml/);
    await p.fill('#totp-code', await appCode(secret));
    await p.click('#totp-form button[type=submit]');
    await p.waitForSelector('#recovery:not([hidden])');
    const codes = await p.locator('#recovery-codes li').allTextContents();
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    await p.click('#recovery-done');
    await p.waitForSelector('#view-agenda:not([hidden])');
    expect(await p.textContent('#who')).toContain('Dra. Ana Souza');

    // sign out, then in again: password, then the code — the one just used is refused, the next one works
    await p.click('#logout');
    await p.waitForSelector('#view-login:not([hidden])');
    expect((await h.call('GET', '/api/me', { headers: { cookie: (await p.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ') } })).status).toBe(401);
    const { email } = ana;
    await p.fill('#login-email', email);
    await p.fill('#login-password', GOOD_PASSWORD);
    await p.click('#login-form button[type=submit]');
    await p.waitForSelector('#code-form:not([hidden])');
    await p.fill('#code', await appCode(secret));
    await p.click('#code-form button[type=submit]');
    await p.locator('#code-error', { hasText: 'já usado' }).waitFor();
    clock += 30_000;
    await p.fill('#code', await appCode(secret));
    await p.click('#code-form button[type=submit]');
    await p.waitForSelector('#view-agenda:not([hidden])');

    // 31 minutes without use: the next request is refused and the page says why
    clock += 31 * 60_000;
    await p.click('#tabs a[data-tab=patients]');
    await p.locator('#login-why', { hasText: 'inatividade' }).waitFor();
    await p.waitForSelector('#view-login:not([hidden])');

    // in again (a recovery code this time), a new patient's form half filled, then a revoke from the CLI
    await p.fill('#login-email', email);
    await p.fill('#login-password', GOOD_PASSWORD);
    await p.click('#login-form button[type=submit]');
    await p.click('#code-switch');
    await p.fill('#recovery-code', codes[0]!);
    await p.click('#code-form button[type=submit]');
    await p.waitForSelector('#tabs:not([hidden])');
    await p.goto(`${url}/#/patients`);
    await p.waitForSelector('#view-patients:not([hidden])');
    await p.click('#patient-add');
    await p.waitForSelector('#patient-dialog[open]');
    await p.fill('#patient-form input[name=fullName]', 'Paciente Digitado Antes');
    await revokeStaff(h.stack.dataStore, ana.id, 'cli:test', new Date(clock));
    clock += 16_000; // the server re-reads a session at least every 15 s
    await p.fill('#patient-form input[name=birthDate]', '1990-05-01');
    await p.click('#patient-form button[value=save]');
    await p.waitForSelector('#reauth-dialog[open]');
    expect(await p.textContent('#reauth-dialog #login-why')).toMatch(/encerrada.*foi mantido/); // the revoke deleted its sessions
    expect(await p.inputValue('#patient-form input[name=fullName]')).toBe('Paciente Digitado Antes'); // kept
    expect(await p.locator('#patient-dialog[open]').count()).toBe(1);
    await p.close();
  }, 90_000);

  it('requests refused together after the idle timeout: the page keeps the first reason (idle), not "signed out"', async () => {
    const dan = await invite('Daniel Rocha', `dan+${Date.now()}@clinica.com.br`);
    const p = await newPage();
    await acceptInvitation(p, dan.link);
    await p.click('#enrol-totp');
    await p.waitForSelector('#totp-form:not([hidden])');
    await p.fill('#totp-code', await appCode((await p.textContent('#totp-secret'))!.trim()));
    await p.click('#totp-form button[type=submit]');
    await p.waitForSelector('#recovery:not([hidden])');
    await p.click('#recovery-done');
    await p.waitForSelector('#view-agenda:not([hidden])');
    await p.waitForLoadState('networkidle');
    clock += 31 * 60_000;
    // the agenda asks for its dentists and chairs at once: their answers reach the page one after the other, the
    // first checked (idle, which deletes the session) first
    let answered = 0;
    let bothAnswered!: () => void;
    const both = new Promise<void>((resolve) => (bothAnswered = resolve));
    let queue = Promise.resolve();
    await p.route(/\/api\/(dentists|chairs)/, (r) => {
      queue = queue.then(async () => {
        await r.fulfill({ response: await r.fetch() });
        answered += 1;
        if (answered === 2) bothAnswered();
      });
    });
    await p.evaluate(() => (location.hash = '#/agenda?date=2026-12-09'));
    await p.waitForSelector('#view-login:not([hidden])');
    await both; // expect.poll alone gives up after 1 s
    await expect.poll(() => answered).toBe(2);
    await p.waitForLoadState('networkidle');
    expect(await p.textContent('#login-why')).toContain('inatividade');
    await p.close();
  }, 60_000);

  it('registers a passkey with the virtual authenticator, then signs in with it alone', async () => {
    const bia = await invite('Beatriz Lima', `bia+${Date.now()}@clinica.com.br`);
    const p = await newPage();
    const cdp = await p.context().newCDPSession(p);
    await cdp.send('WebAuthn.enable');
    await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
    });
    await acceptInvitation(p, bia.link);
    await p.click('#enrol-passkey');
    await p.waitForSelector('#view-agenda:not([hidden])');
    expect(await p.textContent('#who')).toContain('Beatriz Lima');
    await p.click('#logout');
    await p.waitForSelector('#view-login:not([hidden])');
    await p.click('#login-passkey');
    await p.waitForSelector('#view-agenda:not([hidden])');
    expect(await p.textContent('#who')).toContain('Beatriz Lima');
    await p.close();
  }, 60_000);

  it('in English at 390 px, with the keyboard alone: the password refusal in English, the page no wider than the screen', async () => {
    const carla = await invite('Carla Mendes', `carla+${Date.now()}@clinica.com.br`);
    const p = await newPage({ width: 390, locale: 'en' });
    await p.goto(`${url}/`);
    await p.selectOption('#lang-select', 'en');
    await p.goto(carla.link);
    await p.locator('#inv-intro', { hasText: 'set your password' }).waitFor();
    await p.locator('#inv-password').focus();
    await p.keyboard.type('senha12345678');
    await p.keyboard.press('Enter');
    await p.locator('#inv-error', { hasText: 'too common' }).waitFor();
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await p.fill('#inv-password', GOOD_PASSWORD);
    await p.keyboard.press('Enter');
    await p.waitForSelector('#enrol:not([hidden])');
    // Tab from the heading reaches the authenticator button, and Enter starts it
    await p.keyboard.press('Tab');
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('enrol-totp');
    await p.keyboard.press('Enter');
    await p.waitForSelector('#totp-form:not([hidden])');
    expect(await p.evaluate(() => document.activeElement?.id)).toBe('totp-code');
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await p.close();
  }, 60_000);
});
