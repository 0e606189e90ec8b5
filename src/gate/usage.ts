/**
 * Exact usage, kept where the decisions are made: the account gate counts
 * every request it decides (admitted, 403, 429 for either reason) per key and
 * UTC hour, and takes in the isolates' reports of what they answered from a
 * lease and what the origin answered. No write per request: the book is part
 * of the gate's persisted state and rolled up to D1 by the gate's alarm
 * (rollup.ts).
 *
 * A row is rolled up once its hour has closed (and late reports have had a
 * minute to arrive): reads merge what the gate holds with D1, so they are
 * exact whenever the rollup runs, and an hourly rollup writes each key's
 * row about once.
 *
 * A rollup is idempotent: each D1 row holds absolute counts, and an upsert
 * only ever raises them (`max(stored, rolled)`), so a retried alarm, or an
 * object reloaded from its storage, writes the same numbers again and never
 * counts twice. Rows of closed hours leave memory once rolled up.
 */
import { hourOf } from "./calendar";
import type { UsageCounts, UsageReport } from "./protocol";

export const USAGE_FIELDS = [
  "admitted",
  "rateLimited",
  "quotaExceeded",
  "forbidden",
  "origin2xx",
  "origin3xx",
  "origin4xx",
  "origin5xx",
  "originFailed",
] as const satisfies ReadonlyArray<keyof UsageCounts>;

export const emptyCounts = (): UsageCounts => ({
  admitted: 0,
  rateLimited: 0,
  quotaExceeded: 0,
  forbidden: 0,
  origin2xx: 0,
  origin3xx: 0,
  origin4xx: 0,
  origin5xx: 0,
  originFailed: 0,
});

export interface UsageRow extends UsageCounts {
  keyId: string;
  hour: number;
}

interface BookRow {
  row: UsageRow;
  /** Bumped on every change; a rollup clears `dirty` only if the row did not change meanwhile. */
  version: number;
  dirty: boolean;
}

export type UsageSnapshot = Array<{ row: UsageRow; dirty: boolean }>;

export class UsageBook {
  private rows = new Map<string, BookRow>();

  constructor(snapshot: UsageSnapshot = []) {
    for (const { row, dirty } of snapshot) this.rows.set(`${row.hour}:${row.keyId}`, { row, dirty, version: 0 });
  }

  /** Adds `n` to one count of a key in the hour containing `at` (a negative `n` corrects it, never below 0). */
  add(keyId: string, at: number, field: keyof UsageCounts, n = 1): void {
    if (n === 0) return;
    const hour = hourOf(at);
    const id = `${hour}:${keyId}`;
    const entry = this.rows.get(id) ?? { row: { keyId, hour, ...emptyCounts() }, version: 0, dirty: false };
    this.rows.set(id, entry);
    entry.row[field] = Math.max(0, entry.row[field] + n);
    entry.version++;
    entry.dirty = true;
  }

  /** Takes in one key's counts per hour, as a caller reports them. */
  addHours(keyId: string, hours: UsageReport[string]["hours"]): void {
    for (const [hour, counts] of Object.entries(hours)) {
      for (const field of USAGE_FIELDS) this.add(keyId, Number(hour), field, counts[field] ?? 0);
    }
  }

  get dirty(): boolean {
    for (const entry of this.rows.values()) if (entry.dirty) return true;
    return false;
  }

  /** Every row the book holds (the recent hours), as of now. */
  current(): UsageRow[] {
    return [...this.rows.values()].map((entry) => ({ ...entry.row }));
  }

  /** The rows to roll up, with the versions they were taken at. */
  takeDirty(): Array<{ row: UsageRow; version: number }> {
    return [...this.rows.values()].filter((e) => e.dirty).map((e) => ({ row: { ...e.row }, version: e.version }));
  }

  /** After a successful rollup: rows unchanged since are clean; clean rows of closed hours leave memory. */
  rolledUp(taken: Array<{ row: UsageRow; version: number }>, now: number): void {
    for (const { row, version } of taken) {
      const entry = this.rows.get(`${row.hour}:${row.keyId}`);
      if (entry && entry.version === version) entry.dirty = false;
    }
    const open = hourOf(now);
    for (const [id, entry] of this.rows) {
      if (!entry.dirty && entry.row.hour < open) this.rows.delete(id);
    }
  }

  /** The start of the earliest hour with counts not rolled up yet, or undefined when every row is clean. */
  earliestDirtyHour(): number | undefined {
    let earliest: number | undefined;
    for (const entry of this.rows.values()) {
      if (entry.dirty && (earliest === undefined || entry.row.hour < earliest)) earliest = entry.row.hour;
    }
    return earliest;
  }

  snapshot(): UsageSnapshot {
    return [...this.rows.values()].map(({ row, dirty }) => ({ row, dirty }));
  }
}
