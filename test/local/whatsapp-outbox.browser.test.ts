/**
 * The local WhatsApp outbox in headless Chromium: a reminder sent by the local stack shows as a chat bubble
 * with its buttons; pressing Confirmar posts the SNS event shape through the events handler, and the
 * appointment becomes "confirmada". Nothing leaves the machine (every request stays on the outbox's origin).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { getAppointment } from '../../src/clinic/appointments.js';
import { channelKey, type ReminderRecord } from '../../src/clinic/reminders.js';
import { runLocalReminders } from '../../src/local/reminders-timer.js';
import { whatsappOutboxComponent } from '../../src/local/whatsapp-outbox.js';
import { useTestStack } from '../helpers/stack.js';
import { addPatient, book, sp } from '../helpers/reminder-seed.js';

describe('the WhatsApp outbox page', () => {
  const stack = useTestStack({ publish: false });
  let browser: Browser;
  let url: string;
  let stop: (() => Promise<void>) | undefined;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    const started = await whatsappOutboxComponent.start(stack);
    url = started!.urls![0]!.url;
    stop = started!.stop;
    const zap = await addPatient(stack.dataStore, { fullName: 'Zeca Zap', email: undefined, emailReminders: false, phone: '(11) 98765-3001', whatsappReminders: true });
    const outra = await addPatient(stack.dataStore, { fullName: 'Olga Zap', email: undefined, emailReminders: false, phone: '(11) 98765-3002', whatsappReminders: true, language: 'en' });
    ids.zeca = (await book(stack.dataStore, zap.id, '2030-03-12 14:30', 'Dra. Ana Lima')).id;
    ids.olga = (await book(stack.dataStore, outra.id, '2030-03-12 15:30', 'Dr. Caio')).id;
    // the local stack's own run: no whatsapp in the config, the outbox stands in for the account
    const summary = await runLocalReminders(stack, sp('2030-03-11 09:00'));
    expect(summary.items.filter((i) => i.channel === 'whatsapp' && i.status === 'sent')).toHaveLength(2);
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await stop?.();
  });

  it('shows each reminder as a bubble with its buttons; Confirmar confirms the appointment', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    const origin = new URL(url).origin;
    const foreign: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(origin)) foreign.push(r.url());
    });
    await page.goto(url);
    const zeca = page.locator('article.chat', { hasText: '+5511987653001' });
    await expect(zeca.locator('.bubble p').textContent()).resolves.toBe('Olá, Zeca! Lembrete da sua consulta em terça-feira, 12 de março de 2030, às 14:30, com Dra. Ana Lima na ' + stack.config.clinic.name + '. Toque em Confirmar ou Cancelar abaixo.');
    expect(await zeca.locator('button').allTextContents()).toEqual(['Confirmar', 'Cancelar']);
    const olga = page.locator('article.chat', { hasText: '+5511987653002' });
    expect(await olga.locator('button').allTextContents()).toEqual(['Confirm', 'Cancel']);

    await zeca.locator('button[data-action="confirm"]').click();
    await page.waitForURL(url);
    await expect(page.locator('article.chat', { hasText: '+5511987653001' }).locator('.mine').getAttribute('data-outcome')).resolves.toBe('confirm');
    expect((await getAppointment(stack.dataStore, ids.zeca!)).appointment.status).toBe('confirmed');
    expect((await getAppointment(stack.dataStore, ids.olga!)).appointment.status).toBe('scheduled');

    // a second press is harmless and says so
    await page.locator('article.chat', { hasText: '+5511987653001' }).locator('button[data-action="cancel"]').click();
    await page.waitForURL(url);
    await expect(page.locator('article.chat', { hasText: '+5511987653001' }).locator('.mine').getAttribute('data-outcome')).resolves.toBe('already');
    expect((await getAppointment(stack.dataStore, ids.zeca!)).appointment.status).toBe('confirmed');
    // shown on the page = delivered and read, recorded on the reminder by the same handler as on AWS
    const record = await stack.dataStore.getJson<ReminderRecord>(channelKey(ids.zeca!, 'day-before', 'whatsapp'));
    expect(Object.keys(record!.value.deliveries ?? {}).sort()).toEqual(['delivered', 'read']);
    expect(foreign).toEqual([]);
    await page.close();
  });
});
