/**
 * WhatsApp reminders in a run, against the real local stack (S3 behind the conditional-write proxy, the local
 * SES): WhatsApp first for patients who consented to it, e-mail for the others and as the fallback when the
 * number cannot get WhatsApp or WhatsApp's set-up is refused; each channel's message once, also with two runs
 * at once. The WhatsApp messages go to the local outbox sender (files), read back as the proof.
 */
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyAnswerToken, answerLinkKey } from '../../src/clinic/answer-link.js';
import { updatePatient } from '../../src/clinic/patients.js';
import { channelKey, runReminders, type ReminderRecord, type RunRemindersOptions } from '../../src/clinic/reminders.js';
import { openSesSender, SendFailure } from '../../src/mail/ses.js';
import { outboxWhatsAppSender, parseButtonPayload, type OutboxMessage, type WhatsAppSender } from '../../src/messaging/whatsapp.js';
import { readOutbox } from '../../src/local/ses-server.js';
import { useTestStack } from '../helpers/stack.js';
import { addPatient, book, sp } from '../helpers/reminder-seed.js';

const stack = useTestStack({
  config: {
    reminders: { rules: [{ name: 'day-before', dayBeforeAt: '09:00', channels: ['whatsapp', 'email'] }], quietHours: { start: '21:00', end: '08:00' }, claimTimeoutMinutes: 15, maxSendRate: 200 },
    whatsapp: { phoneNumberId: 'phone-number-id-0123456789abcdef0123456789abcdef' },
  },
});
let outbox: string;

beforeAll(async () => {
  outbox = await mkdtemp(join(tmpdir(), 'clinica-wa-'));
});

const openSender = () => openSesSender({ ...stack.target }, { configured: 200, sender: stack.config.mail.sender });
const run = (now: string, more: Partial<RunRemindersOptions> = {}) =>
  runReminders({ store: stack.dataStore, config: stack.config, now: sp(now), openSender, openWhatsAppSender: async () => outboxWhatsAppSender(outbox), actor: 'test', ...more });

async function whatsappTo(phone: string): Promise<OutboxMessage[]> {
  const out: OutboxMessage[] = [];
  for (const f of await readdir(outbox)) {
    const m = JSON.parse(await readFile(join(outbox, f), 'utf8')) as OutboxMessage;
    if (m.message.to === phone) out.push(m);
  }
  return out;
}
const mailTo = async (address: string) => (await readOutbox(stack.ses.endpoint)).filter((m) => m.destination.to.some((t) => t.includes(address)));
const record = async (appointmentId: string, channel: 'whatsapp' | 'email') =>
  (await stack.dataStore.getJson<ReminderRecord>(channelKey(appointmentId, 'day-before', channel)))?.value;

describe('WhatsApp first, e-mail as the fallback', () => {
  it('a patient with WhatsApp consent gets the template on WhatsApp (not e-mail); one without gets e-mail', async () => {
    const ana = await addPatient(stack.dataStore, { fullName: 'Ana Zap Souza', preferredName: 'Aninha', email: 'ana.zap@example.com', phone: '(11) 98765-0001', whatsappReminders: true });
    const beto = await addPatient(stack.dataStore, { fullName: 'Beto Mail', email: 'beto.mail@example.com', phone: '(11) 98765-0002' });
    const a = await book(stack.dataStore, ana.id, '2030-03-12 14:30', 'Dra. Ana Lima');
    const b = await book(stack.dataStore, beto.id, '2030-03-12 15:00');
    const summary = await run('2030-03-11 09:00');
    expect(summary.items.find((i) => i.appointmentId === a.id)).toMatchObject({ status: 'sent', channel: 'whatsapp', to: '+5511*****0001' });
    expect(summary.items.find((i) => i.appointmentId === b.id)).toMatchObject({ status: 'sent', to: 'beto.mail@example.com' });

    const [message] = await whatsappTo('+5511987650001');
    expect(message!.message).toMatchObject({
      locale: 'pt-BR',
      template: { name: 'lembrete_consulta', language: 'pt_BR' },
      firstName: 'Aninha',
      date: 'terça-feira, 12 de março de 2030',
      time: '14:30',
      dentist: 'Dra. Ana Lima',
      clinic: stack.config.clinic.name,
      callbackData: channelKey(a.id, 'day-before', 'whatsapp'),
    });
    // the buttons carry the same signed token as the link: valid for this appointment
    const components = (message!.payload.template as { components: { type: string; parameters: { payload?: string }[] }[] }).components;
    const payloads = components.filter((c) => c.type === 'button').map((c) => parseButtonPayload(c.parameters[0]!.payload!)!);
    expect(payloads.map((p) => p.action)).toEqual(['confirm', 'cancel']);
    expect(verifyAnswerToken(await answerLinkKey(stack.dataStore), payloads[0]!.token, sp('2030-03-11 09:00')).appointmentId).toBe(a.id);
    expect(await mailTo('ana.zap@example.com')).toHaveLength(0);
    expect(await record(a.id, 'whatsapp')).toMatchObject({ status: 'sent', channel: 'whatsapp', to: '+5511*****0001', messageId: message!.id });
    expect(await record(a.id, 'email')).toBeUndefined();

    // a second run sends nothing on either channel
    const again = await run('2030-03-11 09:30');
    expect(again.sent).toBe(0);
    expect(await whatsappTo('+5511987650001')).toHaveLength(1);
  });

  it('a number that cannot get WhatsApp (131026) falls back to e-mail, and the next run does not try WhatsApp again', async () => {
    const caio = await addPatient(stack.dataStore, { fullName: 'Caio Sem Zap', email: 'caio.fallback@example.com', phone: '(21) 98765-0003', whatsappReminders: true });
    const c = await book(stack.dataStore, caio.id, '2030-03-14 10:00');
    let tries = 0;
    const undeliverable: WhatsAppSender = {
      send: async () => {
        tries++;
        throw new SendFailure('permanent', 'Message undeliverable (#131026)', '131026', 1);
      },
    };
    const summary = await run('2030-03-13 09:00', { openWhatsAppSender: async () => undeliverable });
    expect(summary.items.find((i) => i.appointmentId === c.id)).toMatchObject({ status: 'sent', to: 'caio.fallback@example.com' });
    expect(await record(c.id, 'whatsapp')).toMatchObject({ status: 'failed', permanent: true, errorCode: '131026' });
    expect(await mailTo('caio.fallback@example.com')).toHaveLength(1);
    await run('2030-03-13 10:00', { openWhatsAppSender: async () => undeliverable });
    expect(tries).toBe(1);
    expect(await mailTo('caio.fallback@example.com')).toHaveLength(1);
  });

  it('a refused template turns WhatsApp off for the run: e-mail carries every reminder, the error is said once', async () => {
    const ids: string[] = [];
    for (const i of [1, 2]) {
      const p = await addPatient(stack.dataStore, { fullName: `Dora Template ${i}`, email: `dora${i}@example.com`, phone: `(31) 98765-000${i}`, whatsappReminders: true });
      ids.push((await book(stack.dataStore, p.id, `2030-03-16 1${i}:00`)).id);
    }
    let tries = 0;
    const refused: WhatsAppSender = {
      send: async () => {
        tries++;
        throw new SendFailure('systemic', 'Template name does not exist in the translation (#132001)', '132001', 1);
      },
    };
    const summary = await run('2030-03-15 09:00', { openWhatsAppSender: async () => refused, concurrency: 1 });
    expect(summary.whatsappOff).toContain('132001');
    expect(summary.sent).toBe(2);
    expect(tries).toBe(1);
    for (const i of [1, 2]) expect(await mailTo(`dora${i}@example.com`)).toHaveLength(1);
    // the claim was given back: once the template is fixed, WhatsApp is not sent on top of the e-mail
    for (const id of ids) expect(await record(id, 'whatsapp')).toBeUndefined();
  });

  it('consent withdrawn: e-mail again', async () => {
    const eli = await addPatient(stack.dataStore, { fullName: 'Eli Muda', email: 'eli.muda@example.com', phone: '(41) 98765-0005', whatsappReminders: true });
    await updatePatient(stack.dataStore, eli.id, { whatsappReminders: false }, 'test');
    const e = await book(stack.dataStore, eli.id, '2030-03-18 10:00');
    const summary = await run('2030-03-17 09:00');
    expect(summary.items.find((i) => i.appointmentId === e.id)).toMatchObject({ status: 'sent', to: 'eli.muda@example.com' });
  });
});

describe('exactly once per channel', () => {
  it('two runs at the same time send each WhatsApp message once', async () => {
    const phones = Array.from({ length: 6 }, (_, i) => `+55119876510${String(i).padStart(2, '0')}`);
    for (const [i, phone] of phones.entries()) {
      const p = await addPatient(stack.dataStore, { fullName: `Paralelo Zap ${i}`, email: `parzap${i}@example.com`, phone, whatsappReminders: true });
      await book(stack.dataStore, p.id, `2030-05-07 ${String(9 + i).padStart(2, '0')}:00`);
    }
    const [a, b] = await Promise.all([run('2030-05-06 09:00'), run('2030-05-06 09:00')]);
    expect(a.sent + b.sent).toBe(6);
    for (const phone of phones) expect(await whatsappTo(phone)).toHaveLength(1);
    for (const i of phones.keys()) expect(await mailTo(`parzap${i}@example.com`)).toHaveLength(0);
  });
});
