/**
 * The page's texts, in pt-BR (the default) and English, from strings/<locale>.json (bundled in). `t(key)`
 * words a key in the current language; errors from the API are worded by their code and reason, so what the
 * person reads is in the page's language whatever the server's English detail says.
 */
import en from './strings/en.json' with { type: 'json' };
import ptBR from './strings/pt-BR.json' with { type: 'json' };
import type { ImageView } from './api-types.js';

export type MessageKey = keyof typeof ptBR;
export const locales = ['pt-BR', 'en'] as const;
export type PageLocale = (typeof locales)[number];

/**
 * A text, or its plural forms by Intl.PluralRules category ("1 consulta", "4 consultas"): chosen by the
 * number in `n` (else `count`).
 */
type Text = string | { one: string; other: string; [category: string]: string };

/** Both languages have every key (the compiler checks the English file against the Portuguese one). */
const messages: Record<PageLocale, Record<MessageKey, Text>> = { 'pt-BR': ptBR, en };

type Vars = Record<string, string | number | undefined>;

const root = document.documentElement;
const stored = localStorage.getItem('clinica.locale');
let current: PageLocale = stored === 'en' || stored === 'pt-BR' ? stored : root.lang === 'en' ? 'en' : 'pt-BR';

export const locale = (): PageLocale => current;

/** Changes the page's language (remembered in this browser). */
export function setLocale(next: string): void {
  current = next === 'en' ? 'en' : 'pt-BR';
  localStorage.setItem('clinica.locale', current);
}

export function t(key: MessageKey, vars: Vars = {}): string {
  const found = messages[current][key] ?? messages['pt-BR'][key] ?? key;
  const text = typeof found === 'string' ? found : (found[new Intl.PluralRules(current).select(Number(vars.n ?? vars.count))] ?? found.other);
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));
}

/** Whether a key made at run time (from a code, a reason, a status) has a text. */
export const hasText = (key: string): key is MessageKey => key in messages[current] || key in messages['pt-BR'];

/** The page's name for an API field. */
const fieldKeys: Record<string, MessageKey> = {
  fullName: 'f.fullName', preferredName: 'f.preferredName', birthDate: 'f.birthDate', cpf: 'f.cpf', sex: 'f.sex', phone: 'f.phone',
  email: 'f.email', address: 'f.address', notes: 'f.notes', alerts: 'f.alerts', addAlerts: 'f.alerts', removeAlerts: 'f.alerts', newAlert: 'alerts.new',
  status: 'f.status', guardian: 'f.guardian',
  'guardian.name': 'g.name', 'guardian.relationship': 'g.relationship', 'guardian.phone': 'g.phone', 'guardian.cpf': 'g.cpf',
  language: 'f.language', emailReminders: 'f.emailReminders',
  at: 'book.when', date: 'book.date', time: 'book.time', dentist: 'book.dentist', duration: 'book.duration', durationMinutes: 'book.duration',
  patientId: 'book.patient', patient: 'book.patient', procedure: 'book.procedure', kind: 'images.kind', takenAt: 'images.takenAt',
  teeth: 'images.teeth', token: 'login.token',
  password: 'account.newPassword', currentPassword: 'account.currentPassword', name: 'team.name', role: 'team.col.role', days: 'tokens.days',
  whatsappReminders: 'f.whatsappReminders',
};
export const fieldLabel = (field?: string): string => {
  if (!field) return '';
  const key = fieldKeys[field];
  return key ? t(key).replace(/\s*\(.*\)$/, '') : field;
};

/** YYYY-MM-DD → the locale's short date (31/12/2026 or 12/31/2026). */
export const dateLabel = (ymd: string): string =>
  /^\d{4}-\d{2}-\d{2}$/.test(ymd) ? new Intl.DateTimeFormat(current, { timeZone: 'UTC' }).format(new Date(`${ymd}T12:00:00Z`)) : ymd;

/** The variables of a coded message: params as given, dates and statuses in the page's language. */
function paramVars(params: Record<string, string | number> = {}): Vars {
  const vars: Vars = { ...params };
  if (vars.date) vars.date = dateLabel(String(vars.date));
  // a patient's status (active, archived…) or, for what is not one, an appointment's (done, no-show…)
  const status = `status.${vars.status}`;
  const apptStatus = `appt.${vars.status}`;
  const role = `role.${vars.role}`;
  if (vars.status && hasText(status)) vars.status = t(status);
  else if (vars.status && hasText(apptStatus)) vars.status = t(apptStatus);
  if (vars.role && hasText(role)) vars.role = t(role);
  return vars;
}

/**
 * An error made by the page itself: a key worded (again, after a change of language) in the page's language,
 * naming the field (or fields) it is about.
 */
export interface PageError {
  key: MessageKey;
  vars?: Vars;
  field?: string;
  fields?: string[];
}

/** An error the API sent (or a network failure, code `offline`): see ApiError in api.ts. */
export interface CodedError {
  code?: string;
  reason?: string;
  field?: string;
  params?: Record<string, string | number>;
  message?: string;
  requestId?: string;
}

export type ShownError = PageError | CodedError;

/**
 * An error as the person reads it, in the page's language: by reason, else by code, else a generic line that
 * still carries the server's detail. Errors made by the page itself (a key) are already in its language.
 */
export function errorText(err: ShownError | null | undefined): string {
  if (!err) return t('error.generic');
  if ('key' in err) {
    return t(err.key, { ...err.vars, field: fieldLabel(err.field), ...(err.fields ? { fields: err.fields.map(fieldLabel).join(', ') } : {}) });
  }
  if (!err.code) return err.message || t('error.generic');
  const vars = { ...paramVars(err.params), field: fieldLabel(err.field), detail: err.message || err.code, requestId: err.requestId || '—' };
  const byReason = `err.${err.reason}`;
  const byCode = `err.code.${err.code}`;
  if (err.reason && hasText(byReason)) return t(byReason, vars);
  if (err.code !== 'usage' && err.code !== 'conflict' && hasText(byCode)) return t(byCode, vars);
  return t(err.field ? 'err.fallbackField' : 'err.fallback', vars);
}

/** Why an image failed, in the page's language (a failure without a code, or one with no text, shows its English reason). */
export function imageFailureText(img: ImageView): string {
  const key = `imgerr.${img.errorCode}`;
  if (img.errorCode && hasText(key)) return t(key, { format: '', limit: '', ...(img.errorParams || {}) }).replace(/\s{2,}/g, ' ');
  return img.error || '';
}

/** The fixed texts (data-i18n, -placeholder, -label) of the elements under `parent`, in the current language. */
export function translateIn(parent: ParentNode): void {
  for (const el of parent.querySelectorAll<HTMLElement>('[data-i18n]')) el.textContent = t(el.dataset.i18n as MessageKey);
  for (const el of parent.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]')) el.placeholder = t(el.dataset.i18nPlaceholder as MessageKey);
  for (const el of parent.querySelectorAll<HTMLElement>('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel as MessageKey));
}

/** The page's fixed texts (data-i18n, -placeholder, -label in index.html), in the current language. */
export function applyI18n(clinic: string): void {
  root.lang = current;
  translateIn(document);
  document.querySelector<HTMLSelectElement>('#lang-select')!.value = current;
  document.title = `${clinic} — ${t('staffArea')}`;
}
