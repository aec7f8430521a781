/**
 * The WhatsApp sender on AWS by its recorded SendWhatsAppMessage calls (there is no local server for End User
 * Messaging Social): the exact parameters, Meta's message object, throttling retried with backoff, and Meta's
 * error codes mapped to outcomes. And the consent rules: a phone without its area code is refused for WhatsApp.
 */
import { SendWhatsAppMessageCommand, SocialMessagingClient } from '@aws-sdk/client-socialmessaging';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPatientChanges, newPatientRecord } from '../../src/clinic/patients.js';
import { parseConfig } from '../../src/config/load.js';
import { SendFailure } from '../../src/mail/ses.js';
import { classifyWhatsAppError, openWhatsAppSender, templateText, type WhatsAppReminder } from '../../src/messaging/whatsapp.js';

const config = parseConfig({ clinic: { name: 'Clínica Teste' }, whatsapp: { phoneNumberId: 'phone-number-id-0123456789abcdef0123456789abcdef' } });
const target = { region: 'sa-east-1', credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'x' } };
const message: WhatsAppReminder = {
  to: '+5511987654321',
  locale: 'pt-BR',
  template: { name: 'lembrete_consulta', language: 'pt_BR' },
  firstName: 'Ana',
  date: 'terça-feira, 12 de março de 2030',
  time: '14:30',
  dentist: 'Dra. Ana Lima',
  clinic: 'Clínica Teste',
  token: 'A-20300312-abc123.1234567.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  callbackData: 'reminders/A-20300312-abc123/day-before.whatsapp.json',
};
const metaError = (name: string, text: string, status = 400) => Object.assign(new Error(text), { name, $fault: 'client', $metadata: { httpStatusCode: status } });

let mock: ReturnType<typeof mockClient> | undefined;
afterEach(() => {
  mock?.restore();
  mock = undefined;
});

describe('SendWhatsAppMessage', () => {
  it('sends the template from the configured number with the body variables and both quick-reply payloads', async () => {
    mock = mockClient(SocialMessagingClient);
    mock.on(SendWhatsAppMessageCommand).resolves({ messageId: 'aws-msg-1' });
    const sender = await openWhatsAppSender(target, config.whatsapp!);
    expect(await sender.send(message)).toEqual({ messageId: 'aws-msg-1', attempts: 1 });
    const calls = mock.commandCalls(SendWhatsAppMessageCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.originationPhoneNumberId).toBe('phone-number-id-0123456789abcdef0123456789abcdef');
    expect(input.metaApiVersion).toBe('v20.0');
    expect(JSON.parse(new TextDecoder().decode(input.message))).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+5511987654321',
      type: 'template',
      biz_opaque_callback_data: 'reminders/A-20300312-abc123/day-before.whatsapp.json',
      template: {
        name: 'lembrete_consulta',
        language: { code: 'pt_BR' },
        components: [
          {
            type: 'body',
            parameters: ['Ana', 'terça-feira, 12 de março de 2030', '14:30', 'Dra. Ana Lima', 'Clínica Teste'].map((text) => ({ type: 'text', text })),
          },
          { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: `confirm:${message.token}` }] },
          { type: 'button', sub_type: 'quick_reply', index: '1', parameters: [{ type: 'payload', payload: `cancel:${message.token}` }] },
        ],
      },
    });
    expect(templateText(message)).toBe('Olá, Ana! Lembrete da sua consulta em terça-feira, 12 de março de 2030, às 14:30, com Dra. Ana Lima na Clínica Teste. Toque em Confirmar ou Cancelar abaixo.');
  });

  it('throttling (ThrottledRequestException, 130429) is retried with growing delays, then sent once', async () => {
    mock = mockClient(SocialMessagingClient);
    mock
      .on(SendWhatsAppMessageCommand)
      .rejectsOnce(metaError('ThrottledRequestException', 'Rate exceeded', 429))
      .rejectsOnce(metaError('DependencyException', 'Rate limit hit (#130429)', 424))
      .resolves({ messageId: 'aws-msg-2' });
    const delays: number[] = [];
    const sender = await openWhatsAppSender(target, config.whatsapp!, { sleep: async (ms) => void delays.push(ms) });
    expect(await sender.send(message)).toEqual({ messageId: 'aws-msg-2', attempts: 3 });
    expect(delays).toHaveLength(2);
    expect(delays[1]!).toBeGreaterThan(delays[0]! * 0.99);
  });

  it('throttled every time: a transient failure after the last try (the next run sends it)', async () => {
    mock = mockClient(SocialMessagingClient);
    mock.on(SendWhatsAppMessageCommand).rejects(metaError('ThrottledRequestException', 'Rate exceeded', 429));
    const sender = await openWhatsAppSender(target, config.whatsapp!, { sleep: async () => {}, maxAttempts: 3 });
    const err = await sender.send(message).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendFailure);
    expect(err).toMatchObject({ kind: 'transient', attempts: 3 });
    expect(mock.commandCalls(SendWhatsAppMessageCommand)).toHaveLength(3);
  });

  it("maps Meta's error codes to outcomes", () => {
    const kind = (name: string, text: string) => classifyWhatsAppError(metaError(name, text));
    expect(kind('DependencyException', 'Message undeliverable (#131026)')).toMatchObject({ kind: 'permanent', code: '131026' });
    expect(kind('DependencyException', 'Re-engagement message (#131047)')).toMatchObject({ kind: 'permanent', code: '131047' });
    expect(kind('DependencyException', 'Template name does not exist in the translation (#132001)')).toMatchObject({ kind: 'systemic', code: '132001' });
    expect(kind('DependencyException', 'Number of parameters does not match (#132000)').error?.message).toMatch(/whatsapp\.templates/);
    expect(kind('DependencyException', 'Rate limit hit (#130429)')).toMatchObject({ kind: 'throttled', code: '130429' });
    expect(kind('ResourceNotFoundException', 'phone number not found')).toMatchObject({ kind: 'systemic' });
    expect(kind('ResourceNotFoundException', 'phone number not found').error?.message).toMatch(/whatsapp\.phoneNumberId/);
    expect(kind('InternalServiceException', 'try again')).toMatchObject({ kind: 'transient' });
  });

  it('a permanent failure is not retried', async () => {
    mock = mockClient(SocialMessagingClient);
    mock.on(SendWhatsAppMessageCommand).rejects(metaError('DependencyException', 'Message undeliverable (#131026)'));
    const sender = await openWhatsAppSender(target, config.whatsapp!, { sleep: async () => {} });
    await expect(sender.send(message)).rejects.toMatchObject({ kind: 'permanent', code: '131026' });
    expect(mock.commandCalls(SendWhatsAppMessageCommand)).toHaveLength(1);
  });
});

describe('WhatsApp consent', () => {
  const base = { fullName: 'Ana Souza', birthDate: '1980-01-01' };
  it('is recorded apart from e-mail, with who and when', () => {
    const p = newPatientRecord('P-000001', { ...base, phone: '(11) 98765-4321', whatsappReminders: true }, 'cli:test', new Date('2030-01-01T00:00:00Z'));
    expect(p.consent).toEqual({ emailReminders: false, whatsapp: { reminders: true, recordedAt: '2030-01-01T00:00:00.000Z', recordedBy: 'cli:test' } });
    expect(p.phone).toBe('+5511987654321');
  });

  it('refuses yes without a phone, or with one without the area code, naming the field', () => {
    expect(() => newPatientRecord('P-000001', { ...base, whatsappReminders: true }, 'cli:test')).toThrow(/^phone: WhatsApp reminders need/);
    expect(() => newPatientRecord('P-000001', { ...base, phone: '98765-4321', whatsappReminders: true }, 'cli:test')).toThrow(/^phone: .*has no area code \(DDD\)/);
    const p = newPatientRecord('P-000001', base, 'cli:test');
    expect(() => applyPatientChanges(p, { whatsappReminders: true }, 'cli:test')).toThrow(/^phone: WhatsApp reminders need/);
    expect(applyPatientChanges(p, { whatsappReminders: true, phone: '21 98765 4321' }, 'cli:test').patient.consent.whatsapp?.reminders).toBe(true);
  });
});

describe('the CSV column', () => {
  it('"Lembretes por WhatsApp" records WhatsApp consent; a phone without area code is refused naming the CSV column', async () => {
    const { parsePatientCsv, rowToInput } = await import('../../src/clinic/patient-import.js');
    const csv = parsePatientCsv('Nome;Data de nascimento;Celular;Lembretes por WhatsApp\nAna Souza;01/02/1980;(11) 98765-4321;sim\nBia Lima;03/04/1985;98765-4321;sim\n');
    expect(csv.mapping).toMatchObject({ 'Lembretes por WhatsApp': 'whatsappReminders', Celular: 'phone' });
    expect(rowToInput(csv.rows[0]!, csv.mapping)).toMatchObject({ phone: '(11) 98765-4321', whatsappReminders: true });
    expect(() => rowToInput(csv.rows[1]!, csv.mapping)).toThrow(/Celular.*area code|area code.*Celular|DDD/);
  });
});
