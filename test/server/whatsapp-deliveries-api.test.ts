/**
 * WhatsApp delivery statuses through the staff API (real HTTP, local S3): each appointment on the agenda carries
 * how far its WhatsApp reminder got — Meta's furthest status (failed > read > delivered > sent), else the send's
 * own outcome — and an appointment reminded by e-mail only carries none.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { channelKey, runReminders, type ReminderRecord } from '../../src/clinic/reminders.js';
import { recordDeliveryStatus } from '../../src/clinic/whatsapp-replies.js';
import { openSesSender } from '../../src/mail/ses.js';
import { outboxWhatsAppSender } from '../../src/messaging/whatsapp.js';
import type { AgendaAppointment } from '../../src/web/api-types.js';
import { useServerHarness } from './harness.js';
import { addPatient, book, sp } from '../helpers/reminder-seed.js';

const ids: Record<string, string> = {};

const h = useServerHarness({
  config: {
    reminders: { rules: [{ name: 'day-before', dayBeforeAt: '09:00', channels: ['whatsapp', 'email'] }], quietHours: { start: '21:00', end: '08:00' }, claimTimeoutMinutes: 15, maxSendRate: 200 },
    whatsapp: { phoneNumberId: 'phone-number-id-0123456789abcdef0123456789abcdef' },
  },
});
beforeAll(async () => {
  const store = h.stack.dataStore;
  for (const [name, time, whatsapp] of [['lia', '09:00', true], ['rui', '10:00', true], ['gil', '11:00', true], ['eva', '12:00', false]] as const) {
    const p = await addPatient(store, { fullName: `${name} Entrega`, email: `${name}.entrega@example.com`, phone: `(11) 98765-40${time.slice(0, 2)}`, whatsappReminders: whatsapp });
    ids[name] = (await book(store, p.id, `2030-04-16 ${time}`)).id;
  }
  const outbox = await mkdtemp(join(tmpdir(), 'clinica-wa-deliveries-'));
  await runReminders({
    store,
    config: h.stack.config,
    now: sp('2030-04-15 09:00'),
    openSender: () => openSesSender(h.stack.target, { configured: 200, sender: h.stack.config.mail.sender }),
    openWhatsAppSender: async () => outboxWhatsAppSender(outbox),
  });
  const status = (who: string, s: string, at: string, error?: { code: string; title: string }) =>
    recordDeliveryStatus(store, { key: channelKey(ids[who]!, 'day-before', 'whatsapp'), status: s, at: sp(at), ...error });
  // out of order, as SNS may deliver them: the furthest status stands
  await status('lia', 'read', '2030-04-15 09:03');
  await status('lia', 'delivered', '2030-04-15 09:01');
  await status('gil', 'failed', '2030-04-15 09:02', { code: '131026', title: 'Message undeliverable' });
});

describe('GET /api/appointments: the WhatsApp reminder of each appointment', () => {
  it('is the furthest status and its time; sent when Meta said nothing yet; absent for e-mail only', async () => {
    const res = await h.call('GET', '/api/appointments?date=2030-04-16', { token: h.tokens.reception });
    expect(res.status).toBe(200);
    const byId = new Map((res.body.appointments as AgendaAppointment[]).map((a) => [a.id, a.whatsapp]));
    expect(byId.get(ids.lia!)).toEqual({ status: 'read', at: sp('2030-04-15 09:03').toISOString(), rule: 'day-before' });
    expect(byId.get(ids.gil!)).toEqual({ status: 'failed', at: sp('2030-04-15 09:02').toISOString(), rule: 'day-before' });
    const sent = (await h.stack.dataStore.getJson<ReminderRecord>(channelKey(ids.rui!, 'day-before', 'whatsapp')))!.value;
    expect(byId.get(ids.rui!)).toEqual({ status: 'sent', at: sent.sentAt, rule: 'day-before' });
    expect(byId.get(ids.eva!)).toBeUndefined();
  });
});
