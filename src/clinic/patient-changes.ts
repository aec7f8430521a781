/**
 * "A patient's record changed" markers, for a process that keeps opened records in memory (the server: see
 * src/server/patient-records.ts). What an opened record shows is two objects: patients/{id}.json and the
 * patient's appointment list. Whoever rewrites or deletes one of them — the CLI, the answer page's
 * and WhatsApp's Lambdas, a restore, the server itself — rewrites, right after, the marker of the patient's shard:
 *
 *   index/patient-changes/{00…31}.json   { "changedAt": ISO time, "nonce": random }
 *
 * so one LIST of this prefix tells a cache which shards changed since it last looked (their ETags differ; the
 * nonce keeps two writes in one millisecond from leaving the same ETag). Creating a record needs no marker: a
 * cache never keeps "no such patient". A marker write that fails, or a process killed between the two writes,
 * is covered by the cache's maximum age, not by failing a change that was made.
 */
import { randomId } from '../random-id.js';
import type { Store } from '../store/store.js';

export const CHANGES_PREFIX = 'index/patient-changes/';
export const CHANGE_SHARDS = 32;

export const changeShardOf = (patientId: string): number => Number(patientId.replace(/\D/g, '') || 0) % CHANGE_SHARDS;
const markerKey = (shard: number) => `${CHANGES_PREFIX}${String(shard).padStart(2, '0')}.json`;

/** After rewriting or deleting these patients' records or appointment lists: one marker write per shard. */
export async function notePatientsChanged(store: Store, patientIds: Iterable<string>): Promise<void> {
  const changedAt = new Date().toISOString();
  const shards = new Set([...patientIds].map(changeShardOf));
  await Promise.all([...shards].map((s) => store.putJson(markerKey(s), { changedAt, nonce: randomId(12) }).catch(() => undefined)));
}

/** Each marker's ETag, by shard (one LIST); a shard never marked is absent. */
export async function readChangeMarkers(store: Store): Promise<Map<number, string>> {
  const tags = new Map<number, string>();
  for await (const o of store.list(CHANGES_PREFIX)) {
    const shard = Number(/(\d+)\.json$/.exec(o.key)?.[1]);
    if (Number.isInteger(shard)) tags.set(shard, o.etag);
  }
  return tags;
}
