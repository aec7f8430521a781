/**
 * The public answer page's HTML: pt-BR or English (the patient's language; texts in answer-page-strings/<locale>.json,
 * bundled in), no script, no cookie, no third-party asset; one inline style allowed by its hash in the CSP. Every
 * value is HTML-escaped.
 */
import { createHash } from 'node:crypto';
import type { Locale } from '../config/schema.js';
import type { AnswerAction, AnswerPageView } from '../clinic/patient-answers.js';
import { escapeHtml as escape } from '../mail/templates.js';
import en from './answer-page-strings/en.json' with { type: 'json' };
import ptBR from './answer-page-strings/pt-BR.json' with { type: 'json' };

type AnswerPageTexts = typeof ptBR;

/** Both languages have every key (the compiler checks the English file against the Portuguese one). */
const texts: Record<Locale, AnswerPageTexts> = { 'pt-BR': ptBR, en };

/** A text with its {placeholders} filled (values are escaped where the text is put into the page). */
const fill = (text: string, vars: Record<string, string>) => text.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);

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
  let body = `<h1>${escape(view.firstName ? fill(t.hello, { name: view.firstName }) : t.helloNoName)}</h1>${details(view)}`;
  const given = outcome ?? (view.answer ? { ...view.answer, already: true } : undefined);
  if (given) {
    const line = given.already ? fill(t.already[given.action], { when: formatWhen(view, given.at) }) : t.done[given.action];
    body += `<p class="note" role="status">${escape(line)}</p>`;
  } else if (view.closed || view.arrived) {
    body += `<p class="note" role="status">${escape(view.closed ? t.closed : t.arrived)}</p>`;
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
export function answerProblemPage(locale: Locale, problem: 'invalid' | 'expired' | 'failed' | 'arrived'): string {
  const t = texts[locale];
  return page(locale, `<h1>${escape(t.title)}</h1><p class="note" role="alert">${escape(t[problem])}</p>`);
}
