/**
 * The public answer page's HTML: pt-BR or English (the patient's language), no script, no cookie, no
 * third-party asset; one inline style allowed by its hash in the CSP. Every value is HTML-escaped.
 */
import { createHash } from 'node:crypto';
import type { Locale } from '../config/schema.js';
import type { AnswerAction, AnswerPageView } from '../clinic/patient-answers.js';
import { escapeHtml as escape } from '../mail/templates.js';

const texts = {
  'pt-BR': {
    title: 'Sua consulta',
    hello: (name: string) => (name ? `Olá, ${name}!` : 'Olá!'),
    when: 'Quando',
    dentist: 'Dentista',
    where: 'Onde',
    phone: 'Telefone',
    confirm: 'Confirmar presença',
    cancel: 'Cancelar consulta',
    reason: 'Motivo (opcional)',
    reschedule: 'Pedir para remarcar',
    done: { confirm: 'Consulta confirmada. Até lá!', cancel: 'Consulta cancelada. Obrigado por avisar.', reschedule: 'Pedido enviado: a clínica vai entrar em contato para remarcar.' },
    already: { confirm: 'Você já confirmou esta consulta', cancel: 'Você já cancelou esta consulta', reschedule: 'Você já pediu para remarcar esta consulta' },
    on: 'em',
    closed: 'Esta consulta já foi cancelada ou remarcada pela clínica.',
    invalid: 'Este link não é válido. Confira se ele foi copiado inteiro, ou fale com a clínica.',
    expired: 'Este link expirou: a consulta já começou ou passou. Para remarcar, fale com a clínica.',
    failed: 'Não foi possível registrar agora. Tente de novo em alguns minutos ou fale com a clínica.',
  },
  en: {
    title: 'Your appointment',
    hello: (name: string) => (name ? `Hello, ${name}!` : 'Hello!'),
    when: 'When',
    dentist: 'Dentist',
    where: 'Where',
    phone: 'Phone',
    confirm: 'Confirm I will come',
    cancel: 'Cancel the appointment',
    reason: 'Reason (optional)',
    reschedule: 'Ask to reschedule',
    done: { confirm: 'Appointment confirmed. See you then!', cancel: 'Appointment cancelled. Thank you for letting us know.', reschedule: 'Request sent: the clinic will contact you to reschedule.' },
    already: { confirm: 'You already confirmed this appointment', cancel: 'You already cancelled this appointment', reschedule: 'You already asked to reschedule this appointment' },
    on: 'on',
    closed: 'This appointment was already cancelled or moved by the clinic.',
    invalid: 'This link is not valid. Check that it was copied whole, or contact the clinic.',
    expired: 'This link has expired: the appointment has begun or is over. To reschedule, contact the clinic.',
    failed: 'Your answer could not be recorded now. Try again in a few minutes or contact the clinic.',
  },
} as const;

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;margin:0;padding:16px;color:#1d2329;background:#f6f8fa}' +
  'main{max-width:480px;margin:0 auto;background:#fff;border-radius:8px;padding:20px}' +
  'h1{font-size:1.3em;margin:0 0 12px}dl{margin:0 0 16px}dt{font-weight:600}dd{margin:0 0 8px}' +
  'button{display:block;width:100%;font:inherit;padding:12px;margin:8px 0;border:0;border-radius:6px;cursor:pointer}' +
  '.confirm{background:#1a7f37;color:#fff}.cancel{background:#cf222e;color:#fff}.reschedule{background:#e6e9ed;color:#1d2329}' +
  'input{width:100%;box-sizing:border-box;font:inherit;padding:8px}p.note{background:#eef6ee;padding:10px;border-radius:6px}';

const styleHash = createHash('sha256').update(STYLE).digest('base64');

/** As the public site's: nothing loads but this page's own style; forms post only to this page. */
export const ANSWER_PAGE_CSP = `default-src 'none'; style-src 'sha256-${styleHash}'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`;


function page(locale: Locale, body: string): string {
  const lang = locale === 'en' ? 'en' : 'pt-BR';
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"><title>${escape(texts[locale].title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

function formatWhen(view: AnswerPageView, at: string): string {
  return new Intl.DateTimeFormat(view.locale, { timeZone: view.clinic.timeZone, dateStyle: 'full', timeStyle: 'short' }).format(new Date(at));
}

function details(view: AnswerPageView): string {
  const t = texts[view.locale];
  const rows: [string, string][] = [
    [t.when, formatWhen(view, view.start)],
    [t.dentist, view.dentist],
    [t.where, [view.clinic.name, view.clinic.address].filter(Boolean).join(' — ')],
  ];
  if (view.clinic.phone) rows.push([t.phone, view.clinic.phone]);
  return `<dl>${rows.map(([k, v]) => `<dt>${escape(k)}</dt><dd>${escape(v)}</dd>`).join('')}</dl>`;
}

/** The page for a valid link: the appointment and, if not answered yet, the three choices. */
export function answerFormPage(view: AnswerPageView, token: string, outcome?: { action: AnswerAction; already: boolean; at: string }): string {
  const t = texts[view.locale];
  let body = `<h1>${escape(t.hello(view.firstName))}</h1>${details(view)}`;
  const given = outcome ?? (view.answer ? { ...view.answer, already: true } : undefined);
  if (given) {
    const line = given.already ? `${t.already[given.action]} ${t.on} ${formatWhen(view, given.at)}.` : t.done[given.action];
    body += `<p class="note" role="status">${escape(line)}</p>`;
  } else if (view.closed) {
    body += `<p class="note" role="status">${escape(t.closed)}</p>`;
  } else {
    const tok = `<input type="hidden" name="t" value="${escape(token)}">`;
    body +=
      `<form method="post">${tok}<button class="confirm" name="action" value="confirm">${escape(t.confirm)}</button></form>` +
      `<form method="post">${tok}<label for="reason">${escape(t.reason)}</label><input id="reason" name="reason" maxlength="300"><button class="cancel" name="action" value="cancel">${escape(t.cancel)}</button></form>` +
      `<form method="post">${tok}<button class="reschedule" name="action" value="reschedule">${escape(t.reschedule)}</button></form>`;
  }
  return page(view.locale, body);
}

/** The page for a link that cannot be used (tampered, expired) or a failure: one clear sentence. */
export function answerProblemPage(locale: Locale, problem: 'invalid' | 'expired' | 'failed'): string {
  const t = texts[locale];
  return page(locale, `<h1>${escape(t.title)}</h1><p class="note" role="alert">${escape(t[problem])}</p>`);
}
