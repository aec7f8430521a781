/**
 * The WhatsApp events handler with SNS event fixtures in AWS End User Messaging Social's documented shape (the
 * SNS message's JSON holds `whatsAppWebhookEntry`, Meta's webhook entry as a JSON string), against the local
 * stack's S3: a Confirmar / Cancelar press does what the answer page does, delivery statuses land on the
 * reminder, a free-text reply is kept for the staff, and a duplicate delivery changes nothing.
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { answerLinkKey, signAnswerToken } from '../../src/clinic/answer-link.js';
import { getAppointment, setAppointmentStatus } from '../../src/clinic/appointments.js';
import { listAnswers } from '../../src/clinic/patient-answers.js';
import { channelKey, runReminders, type ReminderRecord } from '../../src/clinic/reminders.js';
import { handleWhatsAppEvents, type SnsEvent, type WebhookValue } from '../../src/lambdas/whatsapp-events.js';
import { memoryLog } from '../../src/log.js';
import { openSesSender } from '../../src/mail/ses.js';
import { outboxWhatsAppSender, type OutboxMessage } from '../../src/messaging/whatsapp.js';
import { readOutbox } from '../../src/local/ses-server.js';
import { useTestStack } from '../helpers/stack.js';
import { addPatient, book, sp } from '../helpers/reminder-seed.js';
import { tamper } from '../helpers/tamper.js';

const stack = useTestStack({
  config: {
    reminders: { rules: [{ name: 'day-before', dayBeforeAt: '09:00', channels: ['whatsapp', 'email'] }], quietHours: { start: '21:00', end: '08:00' }, claimTimeoutMinutes: 15, maxSendRate: 200 },
    whatsapp: { phoneNumberId: 'phone-number-id-0123456789abcdef0123456789abcdef' },
  },
});

/** An SNS delivery as Lambda gets it, holding one End User Messaging Social event around Meta's entry. */
function snsEvent(value: WebhookValue, snsMessageId = 'sns-1'): SnsEvent {
  const entry = {
    id: '1234567890abcde',
    changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '551140000000', phone_number_id: 'abcde1234567890' }, ...value } }],
  };
  const message = {
    context: {
      MetaWabaIds: [{ wabaId: '1234567890abcde', arn: 'arn:aws:social-messaging:sa-east-1:123456789012:waba/fb2594b8a7974770b128a409e2example' }],
      MetaPhoneNumberIds: [{ metaPhoneNumberId: 'abcde1234567890', arn: 'arn:aws:social-messaging:sa-east-1:123456789012:phone-number-id/976c72a700aac43eaf573ae050example' }],
    },
    whatsAppWebhookEntry: JSON.stringify(entry),
    aws_account_id: '123456789012',
    message_timestamp: '2030-03-11T12:05:00.000000000Z',
    messageId: '6d69f07a-c317-4278-9d5c-6a84078419ec',
  };
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        Sns: { MessageId: snsMessageId, TopicArn: 'arn:aws:sns:sa-east-1:123456789012:whatsapp-events', Message: JSON.stringify(message), Timestamp: '2030-03-11T12:05:00.000Z' },
      },
    ],
  };
}

const press = (from: string, payload: string, id: string): WebhookValue => ({
  contacts: [{ profile: { name: 'Paciente' }, wa_id: from }],
  messages: [{ from, id, timestamp: '1899982000', type: 'button', button: { payload, text: 'Confirmar' } }],
} as WebhookValue);
const status = (key: string, s: string, errors?: { code: number; title: string }[]): WebhookValue => ({
  statuses: [{ id: 'wamid.HBgN', status: s, timestamp: '1899982100', recipient_id: '5511987652001', biz_opaque_callback_data: key, ...(errors ? { errors } : {}) }],
});

const log = memoryLog();
const now = sp('2030-03-11 09:05');
const handle = (event: SnsEvent) => handleWhatsAppEvents(event, { store: stack.dataStore, log, now: () => now });
let outbox: string;
const ids: Record<string, string> = {};
const payloads: Record<string, { confirm: string; cancel: string }> = {};

beforeAll(async () => {
  outbox = await mkdtemp(join(tmpdir(), 'clinica-wa-events-'));
  for (const [name, phone, time] of [['ana', '(11) 98765-2001', '10:00'], ['bia', '(11) 98765-2002', '11:00'], ['caio', '(11) 98765-2003', '12:00']] as const) {
    const p = await addPatient(stack.dataStore, { fullName: `${name} Eventos`, email: `${name}.eventos@example.com`, phone, whatsappReminders: true });
    ids[name] = (await book(stack.dataStore, p.id, `2030-03-12 ${time}`)).id;
  }
  await runReminders({
    store: stack.dataStore,
    config: stack.config,
    now: sp('2030-03-11 09:00'),
    openSender: () => openSesSender(stack.target, { configured: 200, sender: stack.config.mail.sender }),
    openWhatsAppSender: async () => outboxWhatsAppSender(outbox),
  });
  for (const f of await readdir(outbox)) {
    const m = JSON.parse(await readFile(join(outbox, f), 'utf8')) as OutboxMessage;
    const id = m.message.callbackData.split('/')[1]!;
    payloads[id] = { confirm: `confirm:${m.message.token}`, cancel: `cancel:${m.message.token}` };
  }
});

const appointmentStatus = async (id: string) => (await getAppointment(stack.dataStore, id)).appointment.status;
const reminder = async (id: string) => (await stack.dataStore.getJson<ReminderRecord>(channelKey(id, 'day-before', 'whatsapp')))!.value;

describe('button presses', () => {
  it('Confirmar confirms the appointment, as the answer page does; a duplicate delivery changes nothing', async () => {
    const event = snsEvent(press('5511987652001', payloads[ids.ana!]!.confirm, 'wamid.press-1'));
    expect(await handle(event)).toEqual([{ kind: 'button', action: 'confirm', appointmentId: ids.ana, already: false }]);
    expect(await appointmentStatus(ids.ana!)).toBe('confirmed');
    expect(await handle(event)).toEqual([{ kind: 'button', action: 'confirm', appointmentId: ids.ana, already: true }]);
    const answers = (await listAnswers(stack.dataStore)).filter((a) => a.appointmentId === ids.ana);
    expect(answers).toHaveLength(1);
    expect(answers[0]).toMatchObject({ action: 'confirm', channel: 'whatsapp' });
  });

  it('Cancelar cancels it; a tampered payload is refused and changes nothing', async () => {
    expect(await handle(snsEvent(press('5511987652002', payloads[ids.bia!]!.cancel, 'wamid.press-2')))).toEqual([{ kind: 'button', action: 'cancel', appointmentId: ids.bia, already: false }]);
    expect(await appointmentStatus(ids.bia!)).toBe('cancelled');
    const tampered = tamper(payloads[ids.caio!]!.confirm);
    expect(await handle(snsEvent(press('5511987652003', tampered, 'wamid.press-3')))).toEqual([{ kind: 'button-refused', reason: 'token-invalid' }]);
    expect(await appointmentStatus(ids.caio!)).toBe('scheduled');
  });
});

describe('a patient who has arrived ("chegou")', () => {
  it('cannot cancel from the button (refused, nothing changes); Confirmar is harmless', async () => {
    const p = await addPatient(stack.dataStore, { fullName: 'Dora Chegou', phone: '(11) 98765-2009', whatsappReminders: true });
    const appt = await book(stack.dataStore, p.id, '2030-03-11 15:00');
    await setAppointmentStatus(stack.dataStore, appt.id, 'arrived', 'staff:recepcao', { now });
    const token = signAnswerToken(await answerLinkKey(stack.dataStore), appt.id, new Date(appt.start));
    expect(await handle(snsEvent(press('5511987652009', `cancel:${token}`, 'wamid.press-9')))).toEqual([{ kind: 'button-refused', reason: 'appointment-arrived' }]);
    expect(await appointmentStatus(appt.id)).toBe('arrived');
    expect(await handle(snsEvent(press('5511987652009', `confirm:${token}`, 'wamid.press-10')))).toEqual([{ kind: 'button', action: 'confirm', appointmentId: appt.id, already: false }]);
    expect(await appointmentStatus(appt.id)).toBe('arrived');
  });
});

describe('delivery statuses', () => {
  it('sent, delivered and read are recorded on the reminder, each once', async () => {
    const key = channelKey(ids.ana!, 'day-before', 'whatsapp');
    for (const s of ['sent', 'delivered', 'read']) expect(await handle(snsEvent(status(key, s)))).toEqual([{ kind: 'status', status: s, key, recorded: true }]);
    expect(await handle(snsEvent(status(key, 'delivered')))).toEqual([{ kind: 'status', status: 'delivered', key, recorded: false }]);
    const r = await reminder(ids.ana!);
    expect(r.status).toBe('sent');
    expect(Object.keys(r.deliveries!)).toEqual(['sent', 'delivered', 'read']);
    expect(r.deliveries!.read).toEqual({ at: new Date(1899982100 * 1000).toISOString() });
  });

  it('failed marks the reminder failed for good: the next run sends the e-mail instead', async () => {
    const key = channelKey(ids.caio!, 'day-before', 'whatsapp');
    await handle(snsEvent(status(key, 'failed', [{ code: 131026, title: 'Message undeliverable' }])));
    expect(await reminder(ids.caio!)).toMatchObject({ status: 'failed', permanent: true, errorCode: '131026', deliveries: { failed: { code: '131026', title: 'Message undeliverable' } } });
    const summary = await runReminders({
      store: stack.dataStore,
      config: stack.config,
      now: sp('2030-03-11 10:00'),
      openSender: () => openSesSender(stack.target, { configured: 200, sender: stack.config.mail.sender }),
      openWhatsAppSender: async () => outboxWhatsAppSender(outbox),
    });
    expect(summary.items.find((i) => i.appointmentId === ids.caio)).toMatchObject({ status: 'sent', to: 'caio.eventos@example.com' });
    expect((await readOutbox(stack.ses.endpoint)).filter((m) => m.destination.to.includes('caio.eventos@example.com'))).toHaveLength(1);
  });

  it('a status for something that is not our reminder is ignored', async () => {
    expect(await handle(snsEvent(status('patients/P-000001.json', 'read')))).toEqual([{ kind: 'ignored', why: 'not a reminder of ours' }]);
  });
});

describe('free text', () => {
  it("is stored for the staff with the patient's next appointment, once per message; an unknown number keeps its number", async () => {
    const text = (from: string, id: string, body: string): WebhookValue => ({ messages: [{ from, id, timestamp: '1899982200', type: 'text', text: { body } }] });
    const event = snsEvent(text('5511987652003', 'wamid.text-1', 'Posso chegar 10 min atrasado?\u001b[31m'));
    const [first] = await handle(event);
    expect(first).toMatchObject({ kind: 'message', duplicate: false });
    expect(await handle(event)).toEqual([{ ...first, duplicate: true }]);
    await handle(snsEvent(text('5521900001111', 'wamid.text-2', 'Quem é?')));
    const messages = (await listAnswers(stack.dataStore)).filter((a) => (a.action as string) === 'message');
    expect(messages).toHaveLength(2);
    const known = messages.find((m) => m.messageId === 'wamid.text-1')!;
    expect(known).toMatchObject({ appointmentId: ids.caio, channel: 'whatsapp', text: 'Posso chegar 10 min atrasado? [31m' });
    // the patient's number, for the staff to answer
    expect(known.phone).toBe('+5511987652003');
    expect(messages.find((m) => m.messageId === 'wamid.text-2')).toMatchObject({ patientId: '', appointmentId: '', phone: '+5521900001111' });
    // the function's log names no patient, number or text
    expect(log.entries.length).toBeGreaterThan(0);
    expect(JSON.stringify(log.entries)).not.toMatch(/98765|Posso|Quem/);
  });

  it('an SNS message that is not an End User Messaging Social event is ignored', async () => {
    expect(await handle({ Records: [{ Sns: { Message: 'not json' } }] })).toEqual([{ kind: 'ignored', why: 'not a WhatsApp event' }]);
  });
});
