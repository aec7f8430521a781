/**
 * WhatsApp reminders through AWS End User Messaging Social (SendWhatsAppMessage). The reminder is a
 * Meta-approved utility template (config `whatsapp.templates`, one per locale) with five body variables —
 * first name, date, time, dentist, clinic — and two quick-reply buttons, Confirmar / Cancelar, whose payloads
 * carry the appointment's signed answer token ("confirm:<token>", "cancel:<token>"), so a press does what the
 * answer page does. `biz_opaque_callback_data` names the reminder record, so Meta's delivery statuses find it.
 *
 * The sender is an interface handed to the reminder run, as the mailer is: `openWhatsAppSender` on AWS (the
 * SDK loaded on first use), `outboxWhatsAppSender` under `clinica dev` (each message a JSON file in the local
 * outbox; nothing leaves the machine). Failures come back as SendFailure, with Meta's error codes mapped:
 *  - throttling (ThrottledRequestException, 130429, 131056) is retried with backoff, then `transient`;
 *  - the number cannot get it (131026 undeliverable, 131047 re-engagement, 131049, 131021): `permanent` —
 *    the run falls back to e-mail;
 *  - the clinic's set-up is wrong (132000-series template errors, 131008/131009/100 parameters, the phone
 *    number id, credentials, payment 131042): `systemic` — WhatsApp is off for the rest of the run, e-mail used.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { socialMessagingClient, type AwsTarget } from '../aws/clients.js';
import { describeAwsError } from '../aws/errors.js';
import type { Locale, WhatsAppConfig } from '../config/schema.js';
import { ClinicaError, oneLine } from '../errors.js';
import { silentLog, type Log } from '../log.js';
import { SendFailure, type SendResult } from '../mail/ses.js';
import { randomId } from '../random-id.js';

/** What one WhatsApp reminder says and where it goes (the reminder run fills it in). */
export interface WhatsAppReminder {
  /** E.164, "+5511987654321" */
  to: string;
  locale: Locale;
  template: { name: string; language: string };
  /** the template's body variables {{1}}…{{5}} */
  firstName: string;
  date: string;
  time: string;
  dentist: string;
  clinic: string;
  /** the appointment's signed answer token (the same as the link's) */
  token: string;
  /** comes back on Meta's status events: the reminder record's key */
  callbackData: string;
}

export interface WhatsAppSender {
  send(message: WhatsAppReminder): Promise<SendResult>;
}

export const BUTTON_ACTIONS = ['confirm', 'cancel'] as const;
export type ButtonAction = (typeof BUTTON_ACTIONS)[number];

/** The quick-reply payload of a button: "confirm:<token>". */
export const buttonPayload = (action: ButtonAction, token: string) => `${action}:${token}`;

/** A button payload read back (undefined when it is not one of ours). */
export function parseButtonPayload(payload: string): { action: ButtonAction; token: string } | undefined {
  const m = /^(confirm|cancel):(\S{1,200})$/.exec(payload);
  return m ? { action: m[1] as ButtonAction, token: m[2]! } : undefined;
}

/** The button labels as the templates in docs/reminders.md define them. */
export const BUTTON_LABELS: Record<Locale, Record<ButtonAction, string>> = {
  'pt-BR': { confirm: 'Confirmar', cancel: 'Cancelar' },
  en: { confirm: 'Confirm', cancel: 'Cancel' },
};

/** The template body the clinic submits to Meta (docs/reminders.md), {{1}}…{{5}} filled in for the local outbox. */
export const TEMPLATE_BODY: Record<Locale, string> = {
  'pt-BR': 'Olá, {{1}}! Lembrete da sua consulta em {{2}}, às {{3}}, com {{4}} na {{5}}. Toque em Confirmar ou Cancelar abaixo.',
  en: 'Hello, {{1}}! A reminder of your appointment on {{2}} at {{3}} with {{4}} at {{5}}. Tap Confirm or Cancel below.',
};

/** The message body as the patient reads it (the local outbox shows it). */
export function templateText(message: WhatsAppReminder): string {
  const values = [message.firstName, message.date, message.time, message.dentist, message.clinic];
  return TEMPLATE_BODY[message.locale].replace(/\{\{([1-5])\}\}/g, (_, n: string) => values[Number(n) - 1]!);
}

/** The WhatsApp Cloud API message object SendWhatsAppMessage passes through to Meta. */
export function whatsappPayload(message: WhatsAppReminder): Record<string, unknown> {
  const text = (value: string) => ({ type: 'text', text: value });
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: message.to,
    type: 'template',
    biz_opaque_callback_data: message.callbackData,
    template: {
      name: message.template.name,
      language: { code: message.template.language },
      components: [
        { type: 'body', parameters: [text(message.firstName), text(message.date), text(message.time), text(message.dentist), text(message.clinic)] },
        ...BUTTON_ACTIONS.map((action, index) => ({
          type: 'button',
          sub_type: 'quick_reply',
          index: String(index),
          parameters: [{ type: 'payload', payload: buttonPayload(action, message.token) }],
        })),
      ],
    },
  };
}

// ------------------------------------------------------------------------------------------- errors

const UNDELIVERABLE = new Set(['131026', '131047', '131049', '131021', '131051']);
const THROTTLED = new Set(['130429', '131056', '80007']);
const SETUP = new Set(['100', '190', '131008', '131009', '131031', '131042', '131045', '133010']);

/** Meta's error code inside an AWS error message ("… (#131026) …", "code 131026"), if any. */
export function metaErrorCode(message: string): string | undefined {
  return /(?:#|code[:\s]+|\()(1[0-9]{5}|[0-9]{2,3})\b/i.exec(message)?.[1];
}

export type WhatsAppErrorKind = 'permanent' | 'throttled' | 'transient' | 'systemic';

/** What a SendWhatsAppMessage error means for the reminder. */
export function classifyWhatsAppError(err: unknown): { kind: WhatsAppErrorKind; code: string; message: string; error?: ClinicaError } {
  const e = (err ?? {}) as { name?: string; message?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
  const name = e.name ?? 'Error';
  const message = (e.message ?? String(err)).split('\n')[0]!;
  const meta = metaErrorCode(message);
  const code = meta ?? name;
  const setup = (why: string) => ({
    kind: 'systemic' as const,
    code,
    message,
    error: new ClinicaError('config', `WhatsApp: ${why} (${code}: ${message})`, { hint: 'see docs/reminders.md, "WhatsApp on AWS"; e-mail is used meanwhile', cause: err }),
  });
  if (name === 'ThrottledRequestException' || name === 'ThrottlingException' || (meta && THROTTLED.has(meta)) || e.$metadata?.httpStatusCode === 429) return { kind: 'throttled', code, message };
  if (meta && UNDELIVERABLE.has(meta)) return { kind: 'permanent', code, message };
  if (meta && /^132\d{3}$/.test(meta)) return setup('the reminder template was refused — check whatsapp.templates against the template approved in WhatsApp Manager');
  if (meta && SETUP.has(meta)) return setup('the WhatsApp Business account refused the message');
  if (name === 'ResourceNotFoundException') return setup('whatsapp.phoneNumberId names no phone number in End User Messaging Social');
  if (name === 'InvalidParametersException' || name === 'ValidationException') return setup('the message was refused as invalid');
  const described = describeAwsError(err, 'End User Messaging Social');
  if (described instanceof ClinicaError) {
    if (described.kind === 'unavailable') return { kind: 'transient', code, message: oneLine(described) };
    return { kind: 'systemic', code, message: oneLine(described), error: described };
  }
  return { kind: 'transient', code, message };
}

// ------------------------------------------------------------------------------------------- senders

export interface WhatsAppSenderOptions {
  log?: Log;
  /** tries for a throttled message (default 4) */
  maxAttempts?: number;
  /** the first backoff; doubled each try, with jitter (default 1 s) */
  baseDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Sends one message, retrying throttling and transient errors with backoff; failures as SendFailure. */
export async function sendWithRetries(attempt: () => Promise<string>, options: WhatsAppSenderOptions = {}): Promise<SendResult> {
  const max = options.maxAttempts ?? 4;
  const base = options.baseDelayMs ?? 1000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let n = 1; ; n++) {
    try {
      return { messageId: await attempt(), attempts: n };
    } catch (err) {
      const c = classifyWhatsAppError(err);
      if (c.kind === 'permanent') throw new SendFailure('permanent', c.message, c.code, n);
      if (c.kind === 'systemic') throw new SendFailure('systemic', c.message, c.code, n, c.error);
      if (n >= max) throw new SendFailure('transient', `${c.kind === 'throttled' ? 'throttled' : 'failed'} after ${n} tries: ${c.message}`, c.code, n);
      const delay = base * 2 ** (n - 1) * (0.5 + Math.random() / 2);
      (options.log ?? silentLog).debug(`WhatsApp ${c.code}: trying again in ${Math.round(delay)} ms`);
      await sleep(delay);
    }
  }
}

/** The sender on AWS: SendWhatsAppMessage from the configured phone number (the SDK loaded here, on first use). */
export async function openWhatsAppSender(target: AwsTarget, config: WhatsAppConfig, options: WhatsAppSenderOptions = {}): Promise<WhatsAppSender> {
  const client = await socialMessagingClient(target);
  const { SendWhatsAppMessageCommand } = await import('@aws-sdk/client-socialmessaging');
  return {
    send: (message) =>
      sendWithRetries(async () => {
        const out = await client.send(
          new SendWhatsAppMessageCommand({
            originationPhoneNumberId: config.phoneNumberId,
            metaApiVersion: config.metaApiVersion,
            message: new TextEncoder().encode(JSON.stringify(whatsappPayload(message))),
          }),
        );
        return out.messageId ?? '';
      }, options),
  };
}

/** The local stack's WhatsApp outbox folder (under .clinica/dev). */
export const whatsappOutboxDir = (stateDir: string) => join(stateDir, 'dev', 'whatsapp-outbox');

/**
 * The WhatsApp set-up the local stack runs with when the config has none: the outbox needs no account, so
 * `clinica dev` shows WhatsApp reminders for patients who consented, as a configured clinic would send them.
 */
export const LOCAL_WHATSAPP: WhatsAppConfig = {
  phoneNumberId: 'phone-number-id-00000000000000000000000000000000',
  metaApiVersion: 'v20.0',
  templates: { 'pt-BR': { name: 'lembrete_consulta', language: 'pt_BR' }, en: { name: 'appointment_reminder', language: 'en' } },
};

/**
 * The WhatsApp sender a run uses: the local outbox on the local stack (`localStateDir`), SendWhatsAppMessage
 * on AWS when `whatsapp` is configured; undefined otherwise (e-mail only).
 */
export function whatsappOpener(target: AwsTarget, config: { whatsapp?: WhatsAppConfig }, options: WhatsAppSenderOptions & { localStateDir?: string } = {}): (() => Promise<WhatsAppSender>) | undefined {
  if (options.localStateDir) {
    const dir = whatsappOutboxDir(options.localStateDir);
    return async () => outboxWhatsAppSender(dir);
  }
  const whatsapp = config.whatsapp;
  return whatsapp ? () => openWhatsAppSender(target, whatsapp, options) : undefined;
}

/** One message in the local WhatsApp outbox (`clinica dev`). */
export interface OutboxMessage {
  id: string;
  at: string;
  message: WhatsAppReminder;
  /** what SendWhatsAppMessage would have passed to Meta */
  payload: Record<string, unknown>;
}

/** The local sender: each message a JSON file in `dir` (the outbox page reads them). Nothing leaves the machine. */
export function outboxWhatsAppSender(dir: string, clock: () => Date = () => new Date()): WhatsAppSender {
  return {
    async send(message) {
      await mkdir(dir, { recursive: true });
      const at = clock().toISOString();
      const id = `wamid.local-${at.replace(/[^0-9]/g, '')}-${randomId(8)}`;
      const entry: OutboxMessage = { id, at, message, payload: whatsappPayload(message) };
      await writeFile(join(dir, `${id}.json`), JSON.stringify(entry, null, 2), { flag: 'wx' });
      return { messageId: id, attempts: 1 };
    },
  };
}
