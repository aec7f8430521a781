/**
 * The server's memory of opened patient records (record, ETag and appointment list: readPatientRecord). The
 * staff page opens records all day and each opening is two S3 reads; kept here, an opening costs its audit
 * entry only. Every opening is still audited (openPatientRecord writes the entry, durably, before the answer).
 * When to forget one:
 *
 * - a write or delete this server makes to a record or an appointment list (the store's onWrite) forgets that
 *   patient at once, so the next read after an edit made here shows it;
 * - a change made elsewhere (the CLI, the answer page and WhatsApp Lambdas, a restore) rewrites its
 *   shard's marker (src/clinic/patient-changes.ts); at most every `checkMs` (1 s) one LIST of the markers gives
 *   their ETags, and the patients of a shard whose marker changed are let go of and read again when next opened —
 *   such a change shows within about a second, as the patient list's does (patient-directory.ts), and a
 *   purged or anonymized patient's data is not held on to;
 * - a remembered record is read again after `maxAgeMs` (30 s) whatever the markers say: the bound if a writer
 *   was killed between its write and its marker;
 * - a failed read is not kept, nor is "no such patient".
 * Concurrent openings of one patient share one read.
 */
import { CHANGE_SHARDS, changeShardOf, readChangeMarkers } from '../clinic/patient-changes.js';
import { normalizePatientId, patientOfKey, readPatientRecord, type PatientRecordView } from '../clinic/patients.js';
import type { Store } from '../store/store.js';
import { PeriodicCheck } from './periodic-check.js';

/** A change forgets the entry at once, a read under way included: whatever is in `entries` is current. */
interface Entry {
  readAt: number;
  value: Promise<PatientRecordView>;
}

export interface PatientRecordsOptions {
  checkMs?: number;
  maxAgeMs?: number;
  /** records remembered at once, the least recently opened dropped first */
  maxEntries?: number;
  now?: () => number;
}

export class PatientRecords {
  private readonly entries = new Map<string, Entry>();
  private markers: Map<number, string> | undefined;
  private readonly check: PeriodicCheck;
  private readonly maxAgeMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  readonly close: () => void;

  constructor(
    private readonly store: Store,
    options: PatientRecordsOptions = {},
  ) {
    this.maxAgeMs = options.maxAgeMs ?? 30_000;
    this.maxEntries = options.maxEntries ?? 2_000;
    this.now = options.now ?? Date.now;
    this.check = new PeriodicCheck(() => this.forgetChanged(), options.checkMs ?? 1_000, this.now);
    this.close = store.onWrite((key) => {
      const id = patientOfKey(key);
      if (id) this.entries.delete(id);
    });
  }

  /** Same answer as readPatientRecord(store, id); the object is shared between callers: do not modify it. */
  async read(id: string): Promise<PatientRecordView> {
    const pid = normalizePatientId(id);
    await this.check.due();
    const hit = this.entries.get(pid);
    if (hit && this.now() - hit.readAt < this.maxAgeMs) {
      // most recently opened last: the first key is the one to drop when full
      this.entries.delete(pid);
      this.entries.set(pid, hit);
      return hit.value;
    }
    const entry: Entry = { readAt: this.now(), value: readPatientRecord(this.store, pid) };
    this.entries.delete(pid);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(pid, entry);
    entry.value.catch(() => {
      if (this.entries.get(pid) === entry) this.entries.delete(pid);
    });
    return entry.value;
  }

  /** How many records are held. */
  get size(): number {
    return this.entries.size;
  }

  /** Forgets the records of the shards whose marker changed since the last look (run at most every checkMs). */
  private async forgetChanged(): Promise<void> {
    const markers = await readChangeMarkers(this.store);
    const changed = new Set<number>();
    for (let shard = 0; shard < CHANGE_SHARDS; shard++) {
      if (!this.markers || markers.get(shard) !== this.markers.get(shard)) changed.add(shard);
    }
    // a purged or anonymized patient's data is not held on to either
    if (changed.size) for (const id of this.entries.keys()) if (changed.has(changeShardOf(id))) this.entries.delete(id);
    this.markers = markers;
  }
}
