/**
 * The server's memory of patient lists. `listPatients` reads and sorts the whole index (SHARDS objects) every
 * time — ~200 ms over 10,000 patients — and the staff page asks for lists and searches all day. So the server
 * keeps each answer, and knows when to forget it:
 *
 * - at most every `checkMs` (default 1 s), one LIST of index/patients/ gives the shards' ETags; if any
 *   changed (a write by the CLI, an import, another server), every remembered answer is dropped. Nothing is
 *   parsed when nothing changed, and a change made elsewhere shows within `checkMs`.
 * - a change made through this server (`changed()`) drops them at once.
 * - concurrent identical requests share one read.
 */
import { INDEX_PREFIX } from '../clinic/patient-index.js';
import { listPatients, type ListPatientsOptions } from '../clinic/patients.js';
import type { PatientSummary } from '../clinic/types.js';
import type { Store } from '../store/store.js';
import { PeriodicCheck } from './periodic-check.js';

interface Entry {
  generation: number;
  value: Promise<PatientSummary[]>;
}

/** Distinct searches remembered at once (oldest dropped first). */
const MAX_ENTRIES = 500;

export class PatientDirectory {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;
  private version: string | undefined;
  private readonly check: PeriodicCheck;

  constructor(
    private readonly store: Store,
    checkMs = 1_000,
    now: () => number = Date.now,
  ) {
    this.check = new PeriodicCheck(() => this.dropIfChanged(), checkMs, now);
  }

  /** Same answer as listPatients(store, options); the array is shared between callers: do not modify it. */
  async list(options: ListPatientsOptions = {}): Promise<PatientSummary[]> {
    await this.check.due();
    const key = `${options.status ?? ''}\u0000${options.search ?? ''}`;
    const hit = this.entries.get(key);
    if (hit && hit.generation === this.generation) return hit.value;
    const entry: Entry = { generation: this.generation, value: listPatients(this.store, options) };
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, entry);
    entry.value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return entry.value;
  }

  /** Patient id → display name (preferred name if any), for agendas. */
  async names(): Promise<Map<string, string>> {
    return new Map([...(await this.contacts())].map(([id, c]) => [id, c.name]));
  }

  /** Patient id → display name and phone, for agendas (the phone is what a printed day needs to call). */
  async contacts(): Promise<Map<string, { name: string; phone?: string }>> {
    const all = await this.list({ status: 'all' });
    return new Map(all.map((p) => [p.id, { name: p.preferredName ? `${p.fullName} (${p.preferredName})` : p.fullName, ...(p.phone ? { phone: p.phone } : {}) }]));
  }

  /** Something changed through this server: forget every answer now. */
  changed(): void {
    this.forget();
    this.check.reset(); // and re-read the shards' ETags next time
  }

  private forget(): void {
    this.generation++;
    this.entries.clear();
  }

  /** Drops the answers if the index changed since they were read (run at most every checkMs). */
  private async dropIfChanged(): Promise<void> {
    const tags: string[] = [];
    for await (const o of this.store.list(INDEX_PREFIX)) tags.push(`${o.key}=${o.etag}`);
    const version = tags.join(',');
    if (version !== this.version) {
      this.version = version;
      this.forget();
    }
  }
}
