/**
 * Reading request bodies and query strings into the clinic's input types: types are checked here (a 400
 * naming the field); the values themselves are validated by src/clinic, exactly as for the CLI.
 */
import { usageError } from '../../errors.js';

export type Body = Record<string, unknown>;

/** Refuses fields the endpoint does not know (a typo must not be silently ignored). */
export function onlyFields(body: Body, allowed: readonly string[]): void {
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) throw usageError(`unknown field "${key}" (expected: ${allowed.join(', ')})`, { field: key, reason: 'unknown-field' });
  }
}

export function str(body: Body, field: string, opts: { required?: boolean; nullable?: boolean; max?: number } = {}): string | null | undefined {
  const v = body[field];
  if (v === undefined || (v === '' && !opts.required)) {
    if (opts.required) throw usageError(`expected "${field}"`, { field, reason: 'required' });
    return undefined;
  }
  if (v === null) {
    if (opts.nullable) return null;
    throw usageError(`"${field}" cannot be null`, { field });
  }
  if (typeof v !== 'string') throw usageError(`"${field}": expected a string`, { field });
  if (opts.required && !v.trim()) throw usageError(`expected "${field}"`, { field, reason: 'required' });
  if (v.length > (opts.max ?? 5000)) throw usageError(`"${field}": at most ${opts.max ?? 5000} characters`, { field, reason: 'too-long', params: { max: opts.max ?? 5000 } });
  return v;
}

export function requiredStr(body: Body, field: string, max?: number): string {
  return str(body, field, { required: true, max }) as string;
}

export function int(body: Body, field: string, opts: { required?: boolean; min?: number; max?: number } = {}): number | undefined {
  const v = body[field];
  if (v === undefined || v === null || v === '') {
    if (opts.required) throw usageError(`expected "${field}"`, { field, reason: 'required' });
    return undefined;
  }
  const n = typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw usageError(`"${field}": expected a whole number`, { field });
  const range = { field, reason: 'out-of-range', params: { min: opts.min ?? '', max: opts.max ?? '' } };
  if (opts.min !== undefined && n < opts.min) throw usageError(`"${field}": at least ${opts.min}`, range);
  if (opts.max !== undefined && n > opts.max) throw usageError(`"${field}": at most ${opts.max}`, range);
  return n;
}

export function bool(body: Body, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw usageError(`"${field}": expected true or false`, { field });
  return v;
}

export function strList(body: Body, field: string, opts: { maxItems?: number } = {}): string[] | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw usageError(`"${field}": expected a list of strings`, { field });
  if (v.length > (opts.maxItems ?? 100)) throw usageError(`"${field}": at most ${opts.maxItems ?? 100} entries`, { field });
  return v as string[];
}

export function obj(body: Body, field: string): Body | null | undefined {
  const v = body[field];
  if (v === undefined) return undefined;
  if (v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw usageError(`"${field}": expected an object`, { field });
  return v as Body;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A YYYY-MM-DD query parameter that is a real calendar date. */
export function dateParam(query: URLSearchParams, name: string): string | undefined {
  const v = query.get(name);
  if (v === null || v === '') return undefined;
  if (!DATE.test(v)) throw usageError(`${name} "${v}": expected a date as YYYY-MM-DD`, { field: name, reason: 'date-format' });
  const d = new Date(`${v}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== v) throw usageError(`${name} "${v}": no such calendar date`, { field: name, reason: 'date-invalid' });
  return v;
}

/** Today's date (YYYY-MM-DD) in the clinic's time zone. */
export function clinicToday(timeZone: string, now: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
