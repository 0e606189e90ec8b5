/**
 * A bounded cache with a time-to-live per entry, for the in-isolate caches:
 * it never holds more than `maxEntries`, whatever the traffic (a flood of
 * distinct junk keys only evicts older entries).
 *
 * Eviction is CLOCK ("second chance"), an approximation of least-recently-
 * used: a hit only sets a flag, and eviction skips (and clears) flagged
 * entries. Moving an entry to the end of the Map on every hit, the textbook
 * way, costs ~20 µs per hit at 10,000 entries in V8 (its hash table churns
 * on delete + re-insert); a flag costs nothing.
 */
interface Entry<V> {
  value: V;
  expiresAt: number;
  recent: boolean;
}

export class ClockCache<V> {
  private readonly entries = new Map<string, Entry<V>>();

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  /** The live value for `key`, marked as recently used; undefined if absent or expired. */
  get(key: string, now = Date.now()): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    entry.recent = true;
    return entry.value;
  }

  set(key: string, value: V, ttlMs: number, now = Date.now()): void {
    const entry = this.entries.get(key);
    if (entry) {
      entry.value = value;
      entry.expiresAt = now + ttlMs;
      entry.recent = true;
      return;
    }
    this.entries.set(key, { value, expiresAt: now + ttlMs, recent: false });
    while (this.entries.size > this.maxEntries) this.evictOne(now);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  /** Evicts the oldest entry not used since it was last passed over (expired ones first come, first go). */
  private evictOne(now: number): void {
    for (const [key, entry] of this.entries) {
      this.entries.delete(key);
      if (!entry.recent || entry.expiresAt <= now) return;
      entry.recent = false;
      this.entries.set(key, entry);
    }
  }
}
