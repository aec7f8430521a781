/**
 * A map whose entries expire after `ttlMs` and that never holds more than `maxEntries` (the oldest go first),
 * so a flood of keys cannot grow the server's memory. For what the server remembers for a few minutes:
 * idempotency keys, who was audited as having listed a patient's images.
 */
export class RecentMap<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    this.entries.delete(key); // re-inserted last: insertion order is age order
    if (this.entries.size >= this.maxEntries) {
      const now = this.now();
      for (const [k, e] of this.entries) {
        if (e.until > now) break; // one ttl for all: the rest are younger
        this.entries.delete(k);
      }
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(key, { value, until: this.now() + this.ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
