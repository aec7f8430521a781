/**
 * The patients' answer page end to end in headless Chromium (playwright-core) under the local stack, from the
 * link in the e-mail the local outbox holds: confirm and a second visit, cancel another appointment, a tampered
 * link, an expired one, English, a phone's 390 px; and the staff's side: the "Respostas" section showing a
 * cancellation and a free-text WhatsApp reply until each is marked seen, and the WhatsApp delivery status on the
 * agenda. Each test books its own patient on its own day: they pass in any order.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { answerLinkKey, answerLinkUrl, signAnswerToken } from '../../src/clinic/answer-link.js';
import { getAppointment } from '../../src/clinic/appointments.js';
import { demoAgendaSeeder } from '../../src/local/demo-agenda.js';
import { DEMO_STAFF_FILE, demoStaffSeeder } from '../../src/local/demo-staff.js';
import { runLocalReminders } from '../../src/local/reminders-timer.js';
import { recordDeliveryStatus, storeTextReply } from '../../src/clinic/whatsapp-replies.js';
import { channelKey } from '../../src/clinic/reminders.js';
import { readOutbox } from '../../src/local/ses-server.js';
import { addPatient, book } from '../helpers/reminder-seed.js';
import { tamper } from '../helpers/tamper.js';
import { hasChromium, launchChromium } from '../helpers/chromium.js';
import { useTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;
let browser: Browser;
let answersPage: string;
const pageErrors: string[] = [];

/**
 * A local stack with the demo clinic (its dentists, its admin) and Chromium for the describe block that calls it
 * (each block has its own; `stack` is set to the block's when it starts).
 */
function useDemoAndBrowser(): void {
  const own = useTestStack({ withComponents: true });
  beforeAll(async () => {
    stack = own;
    await stack.seedDemo(undefined, [demoAgendaSeeder, demoStaffSeeder]); // the dentists, the chairs and the admin: the rest of the demo is not read
    answersPage = stack.endpoints.extra.answers!;
    browser = await launchChromium();
  }, 90_000);
  afterAll(() => browser?.close());
}

/** A day of its own for each test (reminders are sent the day before, at 10:00). */
let nextDay = 0;
function ownDay(): string {
  const d = new Date(Date.UTC(2031, 2, 3 + 2 * nextDay++));
  return d.toISOString().slice(0, 10);
}
const dayBefore = (day: string) => new Date(Date.parse(`${day}T10:00:00-03:00`) - 86_400_000);

/** A patient with an appointment on a day of its own, reminded: the link from the e-mail in the local outbox. */
async function remindedLink(fullName: string, options: { language?: 'en' } = {}) {
  const email = `${fullName.toLowerCase().replace(/[^a-z]+/g, '.')}@example.com`;
  const patient = await addPatient(stack.dataStore, { fullName, email, phone: '+55 11 97777-6666', ...(options.language ? { language: options.language } : {}) });
  const day = ownDay();
  const appt = await book(stack.dataStore, patient.id, `${day} 14:30`, 'Dra. Ana Demo');
  await runLocalReminders(stack, dayBefore(day));
  const mail = (await readOutbox(stack.ses.endpoint)).find((m) => m.destination.to.includes(email));
  expect(mail, `a reminder to ${email} in the outbox`).toBeDefined();
  const escaped = answersPage.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const link = new RegExp(`${escaped}\\?t=[^\\s"<]+`).exec(mail!.body.text ?? '')?.[0];
  expect(link, 'the answer link in the e-mail').toBeDefined();
  return { patient, appt, link: link! };
}

async function open(link: string, viewport = { width: 1024, height: 800 }, locale = 'pt-BR'): Promise<{ page: Page; status: number }> {
  const page = await browser.newPage({ viewport, locale });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  const res = await page.goto(link);
  return { page, status: res!.status() };
}

const note = (page: Page) => page.locator('p.note').textContent();

describe.skipIf(!hasChromium)('the answer page in Chromium', { timeout: 60_000 }, () => {
  useDemoAndBrowser();

  afterEach(() => expect(pageErrors.splice(0)).toEqual([]));

  it('confirms from the e-mail\'s link; a second visit says it was already done', async () => {
    const { appt, link } = await remindedLink('Clara Nunes Teixeira');
    const { page, status } = await open(link);
    expect(status).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('Olá, Clara!');
    expect(await page.locator('dd').allTextContents()).toEqual(expect.arrayContaining(['Dra. Ana Demo']));
    await Promise.all([page.waitForNavigation(), page.click('button.confirm')]);
    expect(await note(page)).toBe('Consulta confirmada. Até lá!');
    expect((await getAppointment(stack.dataStore, appt.id)).appointment.status).toBe('confirmed');

    const again = await open(link);
    expect(again.status).toBe(200);
    expect(await note(again.page)).toMatch(/^Você já confirmou esta consulta em .+\.$/);
    expect(await again.page.locator('form').count()).toBe(0);
    await page.close();
    await again.page.close();
  });

  it('cancels another appointment, with a reason: the slot is freed', async () => {
    const { appt, link } = await remindedLink('Otávio Reis Campos');
    const { page } = await open(link);
    await page.fill('#reason', 'viagem a trabalho');
    await Promise.all([page.waitForNavigation(), page.click('button.cancel')]);
    expect(await note(page)).toBe('Consulta cancelada. Obrigado por avisar.');
    const after = (await getAppointment(stack.dataStore, appt.id)).appointment;
    expect(after.status).toBe('cancelled');
    expect(after.notes).toContain('pelo paciente — viagem a trabalho');
    await page.close();
  });

  it('a tampered link is a clear 400 page, in the browser\'s language when it is English', async () => {
    const { link } = await remindedLink('Sônia Braga Lopes');
    const tampered = tamper(link);
    const pt = await open(tampered);
    expect(pt.status).toBe(400);
    expect(await pt.page.locator('[role=alert]').textContent()).toBe('Este link não é válido. Confira se ele foi copiado inteiro, ou fale com a clínica.');
    expect(await pt.page.content()).not.toMatch(/Error|stack|\.js:\d+/);
    const en = await open(tampered, undefined, 'en-US');
    expect(en.status).toBe(400);
    expect(await en.page.locator('[role=alert]').textContent()).toBe('This link is not valid. Check that it was copied whole, or contact the clinic.');
    await pt.page.close();
    await en.page.close();
  });

  it('an expired link (the appointment has begun) is a clear 410 page', async () => {
    const { appt } = await remindedLink('Vera Fischer Moura');
    // signed as the reminder signs it, for an appointment that began a minute ago
    const token = signAnswerToken(await answerLinkKey(stack.dataStore), appt.id, new Date(Date.now() - 60_000));
    const { page, status } = await open(answerLinkUrl(answersPage, token));
    expect(status).toBe(410);
    expect(await page.locator('[role=alert]').textContent()).toBe('Este link expirou: a consulta já começou ou passou. Para remarcar, fale com a clínica.');
    await page.close();
  });

  it('speaks English to an English-speaking patient, whatever the browser\'s language', async () => {
    const { link } = await remindedLink('Peter Lawson Hall', { language: 'en' });
    const { page } = await open(link, undefined, 'pt-BR');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('h1').textContent()).toBe('Hello, Peter!');
    expect(await page.locator('button').allTextContents()).toEqual(['Confirm I will come', 'Cancel the appointment', 'Ask to reschedule']);
    await Promise.all([page.waitForNavigation(), page.click('button.reschedule')]);
    expect(await note(page)).toBe('Request sent: the clinic will contact you to reschedule.');
    await page.close();
  });

  it('fits a 390 px phone: no sideways scrolling, buttons as wide as the card, big enough to tap', async () => {
    const { link } = await remindedLink('Lara Rocha Dantas');
    const { page } = await open(link, { width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    const main = (await page.locator('main').boundingBox())!;
    for (const box of await Promise.all((await page.locator('button').all()).map((b) => b.boundingBox()))) {
      expect(box!.width).toBeGreaterThan(main.width - 60);
      expect(box!.height).toBeGreaterThanOrEqual(44);
    }
    await page.close();
  });
});

describe.skipIf(!hasChromium)('the staff\'s "Respostas dos pacientes" in Chromium', { timeout: 60_000 }, () => {
  let admin: { email: string; password: string };
  useDemoAndBrowser();
  beforeAll(async () => {
    admin = JSON.parse(await readFile(join(stack.dir, DEMO_STAFF_FILE), 'utf8')) as { email: string; password: string };
  });

  /** The staff page, signed in as the demo admin, on the agenda. */
  async function signIn(): Promise<Page> {
    const p = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'pt-BR' });
    p.on('pageerror', (e) => pageErrors.push(e.message));
    await p.goto(`${stack.endpoints.server}/`);
    await p.fill('#login-email', admin.email);
    await p.fill('#login-password', admin.password);
    await p.click('#login-form button[type=submit]');
    await p.waitForSelector('#view-agenda:not([hidden])');
    return p;
  }

  it('lists a cancellation with its reason, counted on the Agenda entry, until it is marked seen', async () => {
    const { link } = await remindedLink('Marta Queiroz Lima');
    const patientPage = await open(link);
    await patientPage.page.fill('#reason', 'mudei de cidade');
    await Promise.all([patientPage.page.waitForNavigation(), patientPage.page.click('button.cancel')]);
    await patientPage.page.close();

    const p = await signIn();
    const agendaBadge = p.locator('#tabs a[data-tab=agenda] [data-answers-badge]');
    // expect.poll gives up after 1 s: the state is waited for first (the page's own waits last 30 s)
    await agendaBadge.filter({ hasText: /^1$/ }).waitFor();
    await expect.poll(() => agendaBadge.textContent()).toBe('1');

    await p.click('#tabs a[data-tab=answers]');
    await p.waitForSelector('#view-answers:not([hidden])');
    const card = p.locator('#answers-list li[data-action=cancel]');
    expect(await card.locator('.badge').textContent()).toBe('Cancelou');
    expect(await card.textContent()).toContain('Marta Queiroz Lima');
    expect(await card.textContent()).toContain('Motivo: mudei de cidade');
    await card.locator('button', { hasText: 'Marcar como vista' }).click();
    await card.locator('p.muted', { hasText: /^Vista em / }).waitFor();
    await expect.poll(() => card.locator('p.muted').last().textContent()).toMatch(/^Vista em /);
    expect(await card.locator('button').count()).toBe(0);
    await agendaBadge.waitFor({ state: 'hidden' });
    await expect.poll(() => agendaBadge.isHidden()).toBe(true);
    // still there, seen, after a reload; no badge
    await p.reload();
    await p.waitForSelector('#view-answers:not([hidden])');
    await p.locator('#answers-list li.seen[data-action=cancel]').waitFor(); // the list comes after the view shows
    expect(await p.locator('#answers-list li[data-action=cancel]').count()).toBe(1);
    expect(await p.locator('#tabs a[data-tab=answers] [data-answers-badge]').isHidden()).toBe(true);
    // on a phone the third menu entry still fits the top bar
    await p.setViewportSize({ width: 375, height: 780 });
    const tab = (await p.locator('#tabs a[data-tab=answers]').boundingBox())!;
    expect(tab.x + tab.width).toBeLessThanOrEqual(375);
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    expect(pageErrors.splice(0)).toEqual([]);
    await p.close();
  });

  it('shows a patient\'s free-text WhatsApp reply as plain text, with the phone, until it is marked seen', async () => {
    const patient = await addPatient(stack.dataStore, { fullName: 'Irene Ravache Souza', phone: '+55 11 96666-4444' });
    await book(stack.dataStore, patient.id, `${ownDay()} 09:00`, 'Dra. Ana Demo');
    // what the WhatsApp events handler stores for a text message (markup in it must stay text)
    const text = 'Vou chegar 10 min atrasada <img src=x onerror="document.title=\'pwned\'">';
    await storeTextReply(stack.dataStore, { messageId: 'wamid.irene-1', from: '5511966664444', text, at: new Date() }, new Date());

    const p = await signIn();
    await p.click('#tabs a[data-tab=answers]');
    const card = p.locator('#answers-list li[data-action=message]', { hasText: 'Irene Ravache Souza' });
    await card.waitFor();
    expect(await card.getAttribute('data-answer')).toMatch(/^m-[0-9a-f]{32}$/);
    expect(await card.locator('.badge').textContent()).toBe('Mensagem no WhatsApp');
    expect(await card.locator('blockquote.answer-text').textContent()).toBe(text);
    expect(await card.locator('img').count()).toBe(0);
    expect(await card.locator('a[href^="tel:"]').getAttribute('href')).toBe('tel:+5511966664444');
    await card.locator('button', { hasText: 'Marcar como vista' }).click();
    await card.locator('p.muted', { hasText: /^Vista em / }).waitFor();
    await expect.poll(() => card.locator('p.muted').last().textContent()).toMatch(/^Vista em /);
    await p.reload();
    await p.locator('#answers-list li.seen[data-action=message]', { hasText: 'Irene Ravache Souza' }).waitFor();
    expect(await p.title()).not.toBe('pwned');
    expect(pageErrors.splice(0)).toEqual([]);
    await p.close();
  });

  it('shows how far the WhatsApp reminder got on the agenda block, in both languages', async () => {
    const patient = await addPatient(stack.dataStore, { fullName: 'Wagner Zap Moura', phone: '+55 11 95555-3333', whatsappReminders: true });
    const day = ownDay();
    const appt = await book(stack.dataStore, patient.id, `${day} 11:00`, 'Dra. Ana Demo');
    const summary = await runLocalReminders(stack, dayBefore(day));
    const sent = summary.items.find((i) => i.appointmentId === appt.id && i.channel === 'whatsapp' && i.status === 'sent');
    expect(sent, 'a WhatsApp reminder in the local outbox').toBeDefined();
    // what the WhatsApp events handler records for Meta's "read"
    await recordDeliveryStatus(stack.dataStore, { key: channelKey(appt.id, sent!.rule, 'whatsapp'), status: 'read', at: new Date() });

    const p = await signIn();
    await p.goto(`${stack.endpoints.server}/#/agenda?date=${day}`);
    const badge = p.locator(`.day-grid .block[data-appointment="${appt.id}"] [data-whatsapp]`);
    await badge.waitFor();
    expect(await badge.textContent()).toBe('WhatsApp lido');
    expect(await badge.getAttribute('data-whatsapp')).toBe('read');
    expect(await badge.getAttribute('title')).toMatch(/^WhatsApp lido em \d{2}\/\d{2}\/\d{4}/);
    await p.selectOption('#lang-select', 'en');
    await badge.filter({ hasText: 'WhatsApp read' }).waitFor();
    await expect.poll(() => badge.textContent()).toBe('WhatsApp read');
    expect(pageErrors.splice(0)).toEqual([]);
    await p.close();
  });
});
