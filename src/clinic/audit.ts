/**
 * The append-only audit log. One object per write at
 *   audit/{YYYY-MM-DD}/{yyyymmddThhmmssmmmZ}-{patientIds|_}-{rand}.json   (UTC date and time)
 * written with If-None-Match: * so it is never rewritten. An object holds one entry, or `{ entries }` when
 * several were written together: entries arriving while a round of audit writes is in flight wait and go in
 * the next round (a group commit). Each entry's caller still waits for its own object to be stored, so every
 * read and change is audited durably before it is answered, and 50 concurrent reads of the staff page cost a
 * few PUTs (16 patients an object) instead of 50 queued ones. The objects' patient ids are in the key ("P-000001+P-000007"), so
 * `listAudit({ patientId })` reads only the objects naming that patient. Details name fields, never their
 * values: the log outlives an anonymization and must not keep the identifiers it erased.
 */
import { usageError } from '../errors.js';
import type { Store } from '../store/store.js';
import { mapLimit } from '../map-limit.js';
import { randomId } from '../random-id.js';
import type { AuditAction, AuditEntry } from './types.js';

export const AUDIT_PREFIX = 'audit/';

const compact = (iso: string) => iso.replace(/[-:.]/g, '');
const KEY = /^audit\/\d{4}-\d{2}-\d{2}\/(\d{8}T\d{9}Z)-(.+)-([a-z0-9]+)\.json$/;

/** At most this many patients are named by one object (its key's last part stays under 200 characters: the
 * local S3 stores it as a file name), and at most this many objects of one round are written at once. */
const GROUP_PATIENTS = 16;
const PARALLEL_OBJECTS = 8;

interface Waiting {
  record: AuditEntry;
  done: (err?: unknown) => void;
}
interface Queue {
  waiting: Waiting[];
  /** a round is being written (or about to be): entries arriving now go in the next one */
  writing: boolean;
}
const queues = new WeakMap<Store, Queue>();

/** Appends an entry; resolves once it is stored (in an object of its own, or with the entries of the same moment). */
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
  let queue = queues.get(store);
  if (!queue) queues.set(store, (queue = { waiting: [], writing: false }));
  const stored = new Promise<void>((resolve, reject) => queue.waiting.push({ record, done: (err) => (err ? reject(err) : resolve()) }));
  if (!queue.writing) {
    queue.writing = true;
    // after the current task: entries made together (a Promise.all of reads, an import's batch) share the round
    queueMicrotask(() => void writeRounds(store, queue));
  }
  await stored;
  return record;
}

/**
 * One round at a time, until nothing waits: a round takes every waiting entry and writes them in as few
 * objects as the key allows (one day, GROUP_PATIENTS patients each), in parallel. Only one round is in flight,
 * so under load the entries of many requests share each write — 50 concurrent reads cost about 4 PUTs, where
 * a writer per entry would queue 50 PUTs behind the reads' own S3 calls.
 */
async function writeRounds(store: Store, queue: Queue): Promise<void> {
  try {
    while (queue.waiting.length) {
      const round = queue.waiting;
      queue.waiting = [];
      await mapLimit(groupsOf(round), PARALLEL_OBJECTS, async (group) => {
        try {
          const day = group[0]!.record.at.slice(0, 10); // an object lives in its entries' day folder
          const body = group.length === 1 ? group[0]!.record : { entries: group.map((w) => w.record) };
          await store.putJson(`${AUDIT_PREFIX}${day}/${groupName(group.map((w) => w.record))}.json`, body, { ifNoneMatch: '*' });
          for (const w of group) w.done();
        } catch (err) {
          for (const w of group) w.done(err);
        }
      });
    }
  } finally {
    queue.writing = false;
  }
}

/** A round's entries in objects: each of one day, naming at most GROUP_PATIENTS patients. */
function groupsOf(round: Waiting[]): Waiting[][] {
  const groups: { day: string; patients: Set<string>; members: Waiting[] }[] = [];
  for (const w of round) {
    const day = w.record.at.slice(0, 10);
    const p = w.record.patientId;
    let group = groups.find((g) => g.day === day && (!p || g.patients.has(p) || g.patients.size < GROUP_PATIENTS));
    if (!group) groups.push((group = { day, patients: new Set(), members: [] }));
    if (p) group.patients.add(p);
    group.members.push(w);
  }
  return groups.map((g) => g.members);
}

/** The object's name: the earliest entry's time, the patient ids (or _), a random part. */
function groupName(records: AuditEntry[]): string {
  if (records.length === 1) return records[0]!.id;
  const at = records.map((r) => r.at).sort()[0]!;
  const ids = [...new Set(records.map((r) => r.patientId).filter((p): p is string => Boolean(p)))].sort();
  return `${compact(at)}-${ids.length ? ids.join('+') : '_'}-${randomId(6)}`;
}

/** Entries oldest first. `since`: a Date or an ISO date/instant ("2026-05-01" is that UTC midnight). */
export async function listAudit(store: Store, filter: { patientId?: string; since?: string | Date; until?: string | Date } = {}): Promise<AuditEntry[]> {
  const since = toDate(filter.since, 'since');
  const until = toDate(filter.until, 'until');
  // a group's key has its earliest entry's time: one up to a minute older may hold entries of `since`
  const sinceKey = since ? compact(new Date(since.getTime() - 60_000).toISOString()) : undefined;
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
      if (filter.patientId && !m[2]!.split('+').includes(filter.patientId)) continue;
      if (sinceKey && m[1]! < sinceKey) continue;
      if (untilKey && m[1]! > untilKey) continue;
      keys.push(o.key);
    }
    return keys;
  });
  const keys = keyLists.flat().sort();
  const objects = await mapLimit(keys, 16, async (key) => (await store.getJson<AuditEntry | { entries: AuditEntry[] }>(key))?.value);
  const sinceAt = since?.toISOString();
  const untilAt = until?.toISOString();
  return objects
    .flatMap((o) => (o === undefined ? [] : 'entries' in o ? o.entries : [o]))
    .filter((e) => (!filter.patientId || e.patientId === filter.patientId) && (!sinceAt || e.at >= sinceAt) && (!untilAt || e.at <= untilAt))
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

function toDate(value: string | Date | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) throw usageError(`${field}: "${String(value)}" is not a date (expected YYYY-MM-DD)`, { field });
  return d;
}
