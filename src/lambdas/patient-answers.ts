/**
 * The patients' answer page: the Lambda behind a function URL on AWS (auth NONE — the signed token is the
 * key; reserved concurrency caps what a flood can cost), and the same handler behind a local port under
 * `clinica dev`. GET ?t=<token> shows the appointment and the choices; POST (a form: t, action, reason)
 * records the answer. A tampered link answers 400, an expired one 410, each with a clear page — never a
 * trace. No cookies are set, and every response carries the page's CSP.
 *
 * No terminal code here: this file and what it imports are bundled for Lambda.
 */
import { s3Client } from '../aws/clients.js';
import { answerPageView, recordPatientAnswer } from '../clinic/patient-answers.js';
import { settingsFromEnv } from '../config/runtime.js';
import type { Config, Locale } from '../config/schema.js';
import { isClinicaError, oneLine } from '../errors.js';
import { jsonLinesLog, type Log } from '../log.js';
import { Store } from '../store/store.js';
import { ANSWER_PAGE_CSP, answerFormPage, answerProblemPage } from './answer-page.js';

/** The part of a Lambda function URL event (payload 2.0) the page reads. */
export interface FunctionUrlEvent {
  rawQueryString?: string;
  headers?: Record<string, string | undefined>;
  requestContext?: { http?: { method?: string } };
  body?: string;
  isBase64Encoded?: boolean;
}

export interface FunctionUrlResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

export interface AnswersDeps {
  store: Store;
  config: { clinic: Pick<Config['clinic'], 'name' | 'address' | 'phone' | 'timeZone' | 'locale'> };
  log: Log;
  now?: () => Date;
}

const MAX_BODY = 4096;

function respond(statusCode: number, body: string, extra: Record<string, string> = {}): FunctionUrlResult {
  return {
    statusCode,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': ANSWER_PAGE_CSP,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
      ...extra,
    },
    body,
  };
}

/** The language for a page that knows no patient (a bad link): the browser's, if English, else the clinic's. */
function browserLocale(event: FunctionUrlEvent, fallback: Locale): Locale {
  const accept = event.headers?.['accept-language'] ?? '';
  return /^\s*en\b/i.test(accept) ? 'en' : fallback;
}

/** One request to the answer page. */
export async function handleAnswerRequest(event: FunctionUrlEvent, deps: AnswersDeps): Promise<FunctionUrlResult> {
  const now = deps.now?.() ?? new Date();
  const method = (event.requestContext?.http?.method ?? 'GET').toUpperCase();
  const fallback = browserLocale(event, deps.config.clinic.locale);
  if (method !== 'GET' && method !== 'POST') return respond(405, answerProblemPage(fallback, 'invalid'), { allow: 'GET, POST' });
  let params = new URLSearchParams(event.rawQueryString ?? '');
  if (method === 'POST') {
    const raw = event.body ?? '';
    const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    if (text.length > MAX_BODY) return respond(413, answerProblemPage(fallback, 'invalid'));
    params = new URLSearchParams(text);
  }
  const token = params.get('t') ?? '';
  let locale = fallback;
  try {
    const view = await answerPageView(deps.store, deps.config, token, now);
    locale = view.locale;
    if (method === 'GET') return respond(200, answerFormPage(view, token));
    const { answer, already } = await recordPatientAnswer(deps.store, token, { action: params.get('action') ?? '', reason: params.get('reason') ?? undefined }, now);
    deps.log.info('patient answer', { appointmentId: answer.appointmentId, action: answer.action, already });
    return respond(200, answerFormPage({ ...view, answer: undefined }, token, { action: answer.action, already, at: answer.at }));
  } catch (err) {
    if (isClinicaError(err) && err.reason === 'token-invalid') return respond(400, answerProblemPage(fallback, 'invalid'));
    if (isClinicaError(err) && err.reason === 'token-expired') return respond(410, answerProblemPage(fallback, 'expired'));
    // a page opened before the reception marked the patient arrived: no cancelling now, said in the patient's language
    if (isClinicaError(err) && err.reason === 'appointment-arrived') return respond(409, answerProblemPage(locale, 'arrived'));
    if (isClinicaError(err) && (err.reason === 'appointment-closed' || err.reason === 'answer-action')) return respond(409, answerProblemPage(fallback, 'failed'));
    deps.log.error(`patient answer failed: ${oneLine(err)}`);
    return respond(503, answerProblemPage(fallback, 'failed'));
  }
}

let cached: Promise<AnswersDeps> | undefined;

function deps(): Promise<AnswersDeps> {
  cached ??= (async () => {
    const settings = settingsFromEnv();
    const log = jsonLinesLog(undefined, 'info', { fn: 'patient-answers', stage: settings.config.stage });
    return { store: new Store(await s3Client(settings.target), settings.dataBucket), config: settings.config, log };
  })().catch((err) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

export async function handler(event: FunctionUrlEvent): Promise<FunctionUrlResult> {
  return handleAnswerRequest(event, await deps());
}
