/**
 * The append-only audit log. One object per entry at
 *   audit/{YYYY-MM-DD}/{yyyymmddThhmmssmmmZ}-{patientId|_}-{rand}.json   (UTC date and time)
 * written with If-None-Match: * so an entry is never rewritten. The patient id is in the key, so
 * `listAudit({ patientId })` reads only that patient's entries. Details name fields, never their values:
 * the log outlives an anonymization and must not keep the identifiers it erased.
 */
import { usageError } from '../errors.js';
import type { Store } from '../store/store.js';
import { mapLimit } from '../map-limit.js';
import { randomId } from '../random-id.js';
import type { AuditAction, AuditEntry } from './types.js';

export const AUDIT_PREFIX = 'audit/';

const compact = (iso: string) => iso.replace(/[-:.]/g, '');
const KEY = /^audit\/\d{4}-\d{2}-\d{2}\/(\d{8}T\d{9}Z)-(.+)-([a-z0-9]+)\.json$/;

export async function audit(
  store: Store,
  entry: { actor: string; action: AuditAction; patientId?: string; details?: Record<string, unknown> },
  now = new Date(),
): Promise<AuditEntry> {
  const at = now.toISOString();
  const id = `${compact(at)}-${entry.patientId ?? '_'}-${randomId(6)}`;
  const record: AuditEntry = { id, at, actor: entry.actor, action: entry.action };
  if (entry.patientId) record.patientId = entry.patientId;
  if (entry.details && Object.keys(entry.details).length) record.details = entry.details;
  await store.putJson(`${AUDIT_PREFIX}${at.slice(0, 10)}/${id}.json`, record, { ifNoneMatch: '*' });
  return record;
}

/** Entries oldest first. `since`: a Date or an ISO date/instant ("2026-05-01" is that UTC midnight). */
export async function listAudit(store: Store, filter: { patientId?: string; since?: string | Date; until?: string | Date } = {}): Promise<AuditEntry[]> {
  const since = toDate(filter.since, 'since');
  const until = toDate(filter.until, 'until');
  const sinceKey = since ? compact(since.toISOString()) : undefined;
  const untilKey = until ? compact(until.toISOString()) : undefined;
  const days = (await store.listPrefixes(AUDIT_PREFIX))
    .map((p) => p.slice(AUDIT_PREFIX.length, -1))
    .filter((d) => (!since || d >= since.toISOString().slice(0, 10)) && (!until || d <= until.toISOString().slice(0, 10)))
    .sort();
  const keyLists = await mapLimit(days, 8, async (day) => {
    const keys: string[] = [];
    for await (const o of store.list(`${AUDIT_PREFIX}${day}/`)) {
      const m = KEY.exec(o.key);
      if (!m) continue;
      if (filter.patientId && m[2] !== filter.patientId) continue;
      if (sinceKey && m[1]! < sinceKey) continue;
      if (untilKey && m[1]! > untilKey) continue;
      keys.push(o.key);
    }
    return keys;
  });
  const keys = keyLists.flat().sort();
  const entries = await mapLimit(keys, 16, async (key) => (await store.getJson<AuditEntry>(key))?.value);
  return entries.filter((e): e is AuditEntry => e !== undefined);
}

function toDate(value: string | Date | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw usageError(`${field}: "${String(value)}" is not a date (expected YYYY-MM-DD)`, { field });
  return d;
}
