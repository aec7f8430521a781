/**
 * The patient index: what `patients list` and `--search` read instead of every record. The summaries
 * (id, names, CPF, phone, birth date, status, upcoming appointments) are split over SHARDS objects
 *   index/patients/{00..15}.json       { entries: PatientSummary[] }
 * by the id's number, so a list is SHARDS parallel GETs whatever the number of patients, and a write
 * rewrites one shard (1/16 of the index) with If-Match, retrying on a concurrent change. The index is
 * derived: the records under patients/ are the truth and reindexPatients() regenerates it.
 *
 * A bulk write (an import) first leaves a marker of the ids it is about to write
 *   index/patients/pending/{first}-{last}.json
 * and deletes it once their rows are in the index. A marker left behind (Ctrl+C, S3 gone) names records that may
 * have no row; healPatientIndex (patients.ts) adds them (on an add, and on a list once it is a minute old). Under index/patients/, so the
 * server's check of this prefix notices a marker as it notices a shard's change.
 */
import { conflict } from '../errors.js';
import type { Store } from '../store/store.js';
import { isClinicaError } from '../errors.js';
import { mapLimit } from './text.js';
import type { Patient, PatientSummary } from './types.js';

export const SHARDS = 16;
export const INDEX_PREFIX = 'index/patients/';

interface Shard {
  entries: PatientSummary[];
}

export const PENDING_PREFIX = `${INDEX_PREFIX}pending/`;

export interface PendingIds {
  key: string;
  first: number;
  last: number;
}

const pendingKey = (first: number, last: number) => `${PENDING_PREFIX}${String(first).padStart(9, '0')}-${String(last).padStart(9, '0')}.json`;

/** Marks the id numbers first..last as written ahead of their index rows (see above). */
export async function markPendingIds(store: Store, first: number, last: number): Promise<PendingIds> {
  const key = pendingKey(first, last);
  await store.putJson(key, { first, last });
  return { key, first, last };
}

/** The markers left (one LIST of a prefix that is empty unless a bulk write is running or was stopped). */
export async function listPendingIds(store: Store): Promise<(PendingIds & { lastModified?: Date })[]> {
  const found: (PendingIds & { lastModified?: Date })[] = [];
  for await (const o of store.list(PENDING_PREFIX)) {
    const m = /(\d+)-(\d+)\.json$/.exec(o.key);
    if (m) found.push({ key: o.key, first: Number(m[1]), last: Number(m[2]), lastModified: o.lastModified });
  }
  return found;
}

export const shardOf = (id: string): number => Number(id.replace(/\D/g, '') || 0) % SHARDS;
export const shardKey = (shard: number): string => `${INDEX_PREFIX}${String(shard).padStart(2, '0')}.json`;

/** The index row for a record (keeps `upcoming` from the old row: appointments maintain it). */
export function summaryOf(patient: Patient, upcoming?: string[]): PatientSummary {
  const s: PatientSummary = { id: patient.id, fullName: patient.fullName, status: patient.status };
  if (patient.preferredName) s.preferredName = patient.preferredName;
  if (patient.cpf) s.cpf = patient.cpf;
  if (patient.phone) s.phone = patient.phone;
  if (patient.birthDate) s.birthDate = patient.birthDate;
  if (upcoming?.length) s.upcoming = upcoming;
  return s;
}

/** Every summary, all shards read in parallel. */
export async function readPatientIndex(store: Store): Promise<PatientSummary[]> {
  const shards = await Promise.all(Array.from({ length: SHARDS }, (_, i) => store.getJson<Shard>(shardKey(i))));
  return shards.flatMap((s) => s?.value.entries ?? []);
}

/** For one id: the new row from the old one (undefined removes it). */
export type IndexChange = { id: string; apply: (old: PatientSummary | undefined) => PatientSummary | undefined };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Applies changes, one conditional write per touched shard; a concurrent writer makes it re-read and re-apply. */
export async function updatePatientIndex(store: Store, changes: IndexChange[]): Promise<void> {
  const byShard = new Map<number, IndexChange[]>();
  for (const c of changes) {
    const s = shardOf(c.id);
    byShard.set(s, [...(byShard.get(s) ?? []), c]);
  }
  await mapLimit([...byShard], 8, async ([shard, list]) => {
    const key = shardKey(shard);
    for (let attempt = 0; ; attempt++) {
      const got = await store.getJson<Shard>(key);
      const rows = new Map((got?.value.entries ?? []).map((e) => [e.id, e]));
      let changed = false;
      for (const c of list) {
        const old = rows.get(c.id);
        const next = c.apply(old);
        if (JSON.stringify(next) === JSON.stringify(old)) continue;
        changed = true;
        if (next) rows.set(c.id, next);
        else rows.delete(c.id);
      }
      if (!changed) return;
      const entries = [...rows.values()].sort((a, b) => a.id.localeCompare(b.id));
      try {
        await store.putJson(key, { entries }, got ? { ifMatch: got.etag } : { ifNoneMatch: '*' });
        return;
      } catch (err) {
        if (!isClinicaError(err, 'conflict')) throw err;
        if (attempt >= 20) throw conflict(`the patient index (${key}) kept changing while it was being updated`, { cause: err, hint: 'try again' });
        await sleep(5 + Math.random() * 20 * (attempt + 1));
      }
    }
  });
}

/** Writes the whole index unconditionally (bulk seeding, rebuild). */
export async function writePatientIndex(store: Store, summaries: PatientSummary[]): Promise<void> {
  const shards: PatientSummary[][] = Array.from({ length: SHARDS }, () => []);
  for (const s of summaries) shards[shardOf(s.id)]!.push(s);
  await Promise.all(shards.map((entries, i) => store.putJson(shardKey(i), { entries: entries.sort((a, b) => a.id.localeCompare(b.id)) })));
}
