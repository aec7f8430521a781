/**
 * `clinica dev`'s WhatsApp outbox, beside the e-mail outbox: every WhatsApp message the local stack would have
 * sent (the outbox sender's files in .clinica/dev/whatsapp-outbox), shown as chat bubbles with their
 * Confirmar / Cancelar buttons. Showing a message reports it delivered and read, as Meta's statuses would; pressing one posts the event AWS End User Messaging Social would publish on
 * the SNS topic — the same shape — through the same handler as the deployed Lambda
 * (src/lambdas/whatsapp-events.ts). Nothing leaves the machine.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { handleWhatsAppEvents, type SnsEvent, type WebhookValue } from '../lambdas/whatsapp-events.js';
import { BUTTON_ACTIONS, BUTTON_LABELS, buttonPayload, templateText, whatsappOutboxDir, type ButtonAction, type OutboxMessage } from '../messaging/whatsapp.js';
import { listenOn } from './listen.js';
import type { DevComponent, DevContext } from './stack.js';

const ID = /^wamid\.local-\d{1,20}-[a-z0-9]{1,16}$/;
const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The outbox's messages, newest first (a file that cannot be read is left out). */
export async function readWhatsAppOutbox(dir: string): Promise<OutboxMessage[]> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  const out: OutboxMessage[] = [];
  for (const f of files) {
    try {
      out.push(JSON.parse(await readFile(join(dir, f), 'utf8')) as OutboxMessage);
    } catch {
      // being written: shown on the next load
    }
  }
  return out.sort((a, b) => b.at.localeCompare(a.at) || b.id.localeCompare(a.id));
}

/** The SNS event End User Messaging Social would publish for a press of `action` on `message`. */
export function buttonPressEvent(message: OutboxMessage, action: ButtonAction, pressId: string, at: Date): SnsEvent {
  const from = message.message.to.replace(/\D/g, '');
  return snsEventOf(
    {
      contacts: [{ profile: { name: message.message.firstName }, wa_id: from }],
      messages: [
        {
          from,
          id: pressId,
          timestamp: String(Math.floor(at.getTime() / 1000)),
          type: 'button',
          button: { payload: buttonPayload(action, message.message.token), text: BUTTON_LABELS[message.message.locale][action] },
        },
      ],
    },
    pressId,
    at,
  );
}

/** The status events Meta would send once the patient's phone shows the message: delivered, then read. */
export function readStatusEvent(message: OutboxMessage, at: Date): SnsEvent {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const status = (s: string) => ({ id: message.id, status: s, timestamp, recipient_id: message.message.to.replace(/\D/g, ''), biz_opaque_callback_data: message.message.callbackData });
  return snsEventOf({ statuses: [status('delivered'), status('read')] }, `${message.id}-read`, at);
}

/** One SNS delivery of End User Messaging Social's event around Meta's webhook value, as the topic sends it. */
function snsEventOf(change: WebhookValue & Record<string, unknown>, id: string, at: Date): SnsEvent {
  const value = { messaging_product: 'whatsapp', metadata: { display_phone_number: '550000000000', phone_number_id: 'local' }, ...change };
  const snsMessage = {
    context: { MetaWabaIds: [{ wabaId: 'local', arn: 'arn:aws:social-messaging:local:000000000000:waba/local' }], MetaPhoneNumberIds: [] },
    whatsAppWebhookEntry: JSON.stringify({ id: 'local', changes: [{ field: 'messages', value }] }),
    aws_account_id: '000000000000',
    message_timestamp: at.toISOString(),
    messageId: id,
  };
  return { Records: [{ EventSource: 'aws:sns', Sns: { MessageId: id, TopicArn: 'arn:aws:sns:local:000000000000:whatsapp-events', Message: JSON.stringify(snsMessage), Timestamp: at.toISOString() } }] };
}

const OUTCOME_TEXT: Record<string, string> = {
  confirm: 'Consulta confirmada',
  cancel: 'Consulta cancelada',
  already: 'Já respondida antes — nada mudou',
  refused: 'Link expirado ou inválido — nada mudou',
};

function page(messages: OutboxMessage[], pressed: Map<string, { action: ButtonAction; outcome: string }>): string {
  const bubbles = messages
    .map((m) => {
      const done = pressed.get(m.id);
      const buttons = BUTTON_ACTIONS.map(
        (action) => `<button type="submit" name="action" value="${action}" data-action="${action}">${escape(BUTTON_LABELS[m.message.locale][action])}</button>`,
      ).join('');
      return `<article class="chat" data-id="${escape(m.id)}">
  <header><strong>${escape(m.message.to)}</strong> · ${escape(m.message.template.name)} (${escape(m.message.template.language)}) · <time>${escape(m.at)}</time></header>
  <div class="bubble"><p>${escape(templateText(m.message))}</p>
  <form method="post" action="/press"><input type="hidden" name="id" value="${escape(m.id)}">${buttons}</form></div>
  ${done ? `<div class="bubble mine" data-outcome="${escape(done.outcome)}">${escape(BUTTON_LABELS[m.message.locale][done.action])}<small>${escape(OUTCOME_TEXT[done.outcome] ?? done.outcome)}</small></div>` : ''}
</article>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>WhatsApp — caixa de saída local</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#efe7dd;color:#111}
h1{background:#075e54;color:#fff;margin:0;padding:12px 16px;font-size:1.1rem}
main{max-width:640px;margin:0 auto;padding:12px}
.chat{margin:0 0 24px}
.chat header{font-size:.8rem;color:#555;margin-bottom:4px}
.bubble{background:#fff;border-radius:8px;padding:8px 12px;max-width:85%;box-shadow:0 1px 1px rgba(0,0,0,.15)}
.bubble p{margin:0 0 8px;white-space:pre-wrap}
.bubble form{display:flex;gap:8px;border-top:1px solid #eee;padding-top:8px}
.bubble button{flex:1;background:none;border:0;color:#00a5f4;font-size:1rem;padding:6px;cursor:pointer}
.mine{background:#dcf8c6;margin:8px 0 0 auto;width:fit-content}
.mine small{display:block;color:#555;font-size:.75rem}
.empty{color:#555}
</style></head>
<body><h1>WhatsApp — caixa de saída local</h1><main>
<p class="empty">${messages.length ? `${messages.length} mensagem(ns). Nada sai desta máquina: os botões enviam ao manipulador de eventos o mesmo evento que o tópico SNS enviaria.` : 'Nenhuma mensagem ainda.'}</p>
${bubbles}
</main></body></html>`;
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
      if (body.length > 4096) req.destroy();
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

async function serve(ctx: DevContext, dir: string, pressed: Map<string, { action: ButtonAction; outcome: string }>, read: Set<string>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const headers = { 'content-security-policy': CSP, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
  const url = new URL(req.url ?? '/', 'http://local');
  if (req.method === 'GET' && url.pathname === '/') {
    const messages = await readWhatsAppOutbox(dir);
    // shown on the "phone": Meta would report each message delivered and read, through the same handler
    const now = new Date();
    for (const m of messages) if (!read.has(m.id)) await handleWhatsAppEvents(readStatusEvent(m, now), { store: ctx.dataStore, log: ctx.log, now: () => now }).then(() => read.add(m.id));
    res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' }).end(page(messages, pressed));
    return;
  }
  if (req.method === 'POST' && url.pathname === '/press') {
    const form = await readForm(req);
    const id = form.get('id') ?? '';
    const action = form.get('action') ?? '';
    const message = ID.test(id) ? (await readWhatsAppOutbox(dir)).find((m) => m.id === id) : undefined;
    if (!message || !(BUTTON_ACTIONS as readonly string[]).includes(action)) {
      res.writeHead(400, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('no such message or button\n');
      return;
    }
    const now = new Date();
    const event = buttonPressEvent(message, action as ButtonAction, `wamid.local-press-${now.getTime()}`, now);
    const [outcome] = await handleWhatsAppEvents(event, { store: ctx.dataStore, log: ctx.log, now: () => now });
    const said = outcome?.kind === 'button' ? (outcome.already ? 'already' : outcome.action) : 'refused';
    pressed.set(id, { action: action as ButtonAction, outcome: said });
    res.writeHead(303, { ...headers, location: '/' }).end();
    return;
  }
  res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
}

export const whatsappOutboxComponent: DevComponent = {
  name: 'WhatsApp outbox',
  async start(ctx) {
    const dir = whatsappOutboxDir(ctx.config.stateDir);
    const pressed = new Map<string, { action: ButtonAction; outcome: string }>();
    const read = new Set<string>();
    const server = createServer((req, res) => {
      serve(ctx, dir, pressed, read, req, res).catch((err: Error) => {
        ctx.log.error(`WhatsApp outbox: ${err.message}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end();
      });
    });
    const { url, stop } = await listenOn(ctx, server, { what: 'WhatsApp outbox', flag: '--whatsapp-port', ...ctx.whatsappPort });
    ctx.endpoints.extra.whatsappOutbox = url;
    return { urls: [{ name: 'WhatsApp outbox', url }], stop };
  },
};
