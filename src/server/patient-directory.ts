/**
 * The server's memory of patient lists. `listPatients` reads the whole index (SHARDS objects) every time;
 * the staff page asks for lists and searches often, so the server keeps each answer for `ttlMs` (default
 * 2 s), shares one read between concurrent identical requests, and forgets everything at once when it
 * changes a patient or an appointment itself. A change made elsewhere (the CLI) shows within `ttlMs`.
 */
import { listPatients, type ListPatientsOptions } from '../clinic/patients.js';
import type { PatientSummary } from '../clinic/types.js';
import type { Store } from '../store/store.js';

interface Entry {
  at: number;
  generation: number;
  value: Promise<PatientSummary[]>;
}

/** Distinct searches remembered at once (oldest dropped first). */
const MAX_ENTRIES = 500;

export class PatientDirectory {
  private readonly entries = new Map<string, Entry>();
  private generation = 0;

  constructor(
    private readonly store: Store,
    private readonly ttlMs = 2_000,
    private readonly now: () => number = Date.now,
  ) {}

  list(options: ListPatientsOptions = {}): Promise<PatientSummary[]> {
    const key = `${options.status ?? ''}\u0000${options.search ?? ''}`;
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.generation === this.generation && now - hit.at < this.ttlMs) return hit.value;
    const generation = this.generation;
    const value = listPatients(this.store, options);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.delete(key);
    this.entries.set(key, { at: now, generation, value });
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    return value;
  }

  /** Patient id → display name (preferred name if any), for agendas. */
  async names(): Promise<Map<string, string>> {
    const all = await this.list({ status: 'all' });
    return new Map(all.map((p) => [p.id, p.preferredName ? `${p.fullName} (${p.preferredName})` : p.fullName]));
  }

  /** Something changed through this server: the next list reads the index again. */
  changed(): void {
    this.generation++;
    this.entries.clear();
  }
}
