/**
 * The WhatsApp events Lambda, subscribed to the WhatsApp Business Account's event destination (the SNS topic
 * `whatsapp.eventTopicArn`). AWS End User Messaging Social publishes each event as an SNS message whose JSON
 * holds `whatsAppWebhookEntry`, Meta's webhook entry as a JSON string: `changes[].value.messages[]` (what the
 * patient sent: a quick-reply button press, a text) and `changes[].value.statuses[]` (sent, delivered, read,
 * failed for our messages, with the `biz_opaque_callback_data` we sent). The steps are in
 * src/clinic/whatsapp-replies.ts; every one is idempotent, as SNS may deliver twice.
 *
 * `clinica dev`'s WhatsApp outbox posts the same event shape to this same handler when a button is pressed.
 * No terminal code here: this file and what it imports are bundled for Lambda.
 */
import { s3Client } from '../aws/clients.js';
import { answerFromButton, recordDeliveryStatus, storeTextReply, type ReplyOutcome } from '../clinic/whatsapp-replies.js';
import { settingsFromEnv } from '../config/runtime.js';
import { oneLine } from '../errors.js';
import { jsonLinesLog, type Log } from '../log.js';
import { parseButtonPayload } from '../messaging/whatsapp.js';
import { Store } from '../store/store.js';

/** The Lambda event of an SNS subscription (the parts read here). */
export interface SnsEvent {
  Records: { EventSource?: string; Sns: { MessageId?: string; TopicArn?: string; Message: string; Timestamp?: string } }[];
}

/** What AWS End User Messaging Social puts in the SNS message. */
export interface SocialMessagingEvent {
  context?: unknown;
  /** Meta's webhook entry, as a JSON string */
  whatsAppWebhookEntry: string;
  aws_account_id?: string;
  message_timestamp?: string;
  messageId?: string;
}

/** Meta's webhook entry: the parts read here. */
export interface WebhookEntry {
  id?: string;
  changes?: { field?: string; value?: WebhookValue }[];
}

export interface WebhookValue {
  messaging_product?: string;
  messages?: {
    from: string;
    id: string;
    timestamp?: string;
    type: string;
    text?: { body?: string };
    button?: { payload?: string; text?: string };
    interactive?: { type?: string; button_reply?: { id?: string; title?: string } };
  }[];
  statuses?: {
    id: string;
    status: string;
    timestamp?: string;
    recipient_id?: string;
    biz_opaque_callback_data?: string;
    errors?: { code?: number; title?: string }[];
  }[];
}

export interface WhatsAppEventsDeps {
  store: Store;
  log: Log;
  now?: () => Date;
}

const when = (timestamp: string | undefined, fallback: Date) => (timestamp && /^\d{1,12}$/.test(timestamp) ? new Date(Number(timestamp) * 1000) : fallback);

/** Meta's entry out of one SNS message (undefined when it is not one). */
export function webhookEntryOf(message: string): WebhookEntry | undefined {
  try {
    const outer = JSON.parse(message) as Partial<SocialMessagingEvent>;
    const inner = outer.whatsAppWebhookEntry;
    if (typeof inner === 'string') return JSON.parse(inner) as WebhookEntry;
    if (inner && typeof inner === 'object') return inner as WebhookEntry;
  } catch {
    // not JSON: reported by the caller as ignored
  }
  return undefined;
}

/** Every event of one SNS delivery, in order; returns what each did. */
export async function handleWhatsAppEvents(event: SnsEvent, deps: WhatsAppEventsDeps): Promise<ReplyOutcome[]> {
  const now = deps.now?.() ?? new Date();
  const out: ReplyOutcome[] = [];
  for (const record of event.Records ?? []) {
    const entry = webhookEntryOf(record.Sns?.Message ?? '');
    if (!entry) {
      deps.log.warn('whatsapp event: not an End User Messaging Social event', { snsMessageId: record.Sns?.MessageId });
      out.push({ kind: 'ignored', why: 'not a WhatsApp event' });
      continue;
    }
    for (const change of entry.changes ?? []) {
      const value = change.value ?? {};
      for (const m of value.messages ?? []) out.push(await handleMessage(deps, m, now));
      for (const s of value.statuses ?? []) {
        const error = s.errors?.[0];
        out.push(
          await recordDeliveryStatus(deps.store, {
            key: s.biz_opaque_callback_data ?? '',
            status: s.status,
            at: when(s.timestamp, now),
            code: error?.code !== undefined ? String(error.code) : undefined,
            title: error?.title,
          }),
        );
      }
    }
  }
  // no names, numbers or texts in the log: the outcome kinds only
  deps.log.info('whatsapp events', { outcomes: out.map((o) => (o.kind === 'status' ? `status:${o.status}${o.recorded ? '' : ':seen'}` : o.kind === 'button' ? `button:${o.action}${o.already ? ':already' : ''}` : o.kind)) });
  return out;
}

async function handleMessage(deps: WhatsAppEventsDeps, m: NonNullable<WebhookValue['messages']>[number], now: Date): Promise<ReplyOutcome> {
  // a template's quick reply arrives as type "button"; an interactive message's as "interactive"
  const payload = m.type === 'button' ? m.button?.payload : m.type === 'interactive' ? m.interactive?.button_reply?.id : undefined;
  if (payload !== undefined) {
    const pressed = parseButtonPayload(payload);
    if (!pressed) return { kind: 'ignored', why: 'a button that is not ours' };
    return answerFromButton(deps.store, pressed.action, pressed.token, now);
  }
  if (m.type === 'text' && m.text?.body) return storeTextReply(deps.store, { messageId: m.id, from: m.from, text: m.text.body, at: when(m.timestamp, now) }, now);
  return { kind: 'ignored', why: `a ${m.type} message` };
}

let cached: Promise<WhatsAppEventsDeps> | undefined;

function deps(): Promise<WhatsAppEventsDeps> {
  cached ??= (async () => {
    const settings = settingsFromEnv();
    const log = jsonLinesLog(undefined, 'info', { fn: 'whatsapp-events', stage: settings.config.stage });
    return { store: new Store(await s3Client(settings.target), settings.dataBucket), log };
  })().catch((err) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

/** Throws only when S3 is out of reach: SNS then retries the delivery (every step is idempotent). */
export async function handler(event: SnsEvent): Promise<{ outcomes: number }> {
  const d = await deps();
  try {
    return { outcomes: (await handleWhatsAppEvents(event, d)).length };
  } catch (err) {
    d.log.error(`whatsapp events failed: ${oneLine(err)}`);
    throw err;
  }
}
