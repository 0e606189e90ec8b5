/**
 * What one account's rollup costs D1: the gate's own `rollUp`
 * (src/gate/rollup.ts) run against a bench gateway's local D1 through a
 * binding that records each batch's `meta` (rows written, as D1 bills them,
 * index entries included; and SQLite's time for the statements). Run twice
 * for the same hour: the first rollup of an hour inserts each key's row, a
 * later one (late reports of a closed hour) updates it.
 */
import type { Miniflare } from "miniflare";
import { rollUp } from "../src/gate/rollup.ts";
import { emptyCounts } from "../src/gate/usage.ts";

export interface RollupCost {
  keys: number;
  statements: number;
  /** Rows written by the first rollup of an hour (inserts) and by a later one (updates). */
  rowsWrittenFirst: number;
  rowsWrittenLater: number;
  /** SQLite's time for one statement of the batch, ms (local, so without D1's network and replication). */
  msPerStatement: number;
}

interface Meta {
  rows_written?: number;
  duration?: number;
}

/** Rolls up usage for `keyIds` (one account's keys) twice and reads what D1 reports. */
export async function measureRollup(mf: Miniflare, accountId: string, keyIds: string[]): Promise<RollupCost> {
  const d1 = await mf.getD1Database("DB");
  const metas: Meta[][] = [];
  const spy = {
    prepare: (query: string) => d1.prepare(query),
    batch: async (statements: unknown[]) => {
      const results = (await d1.batch(statements as never)) as Array<{ meta: Meta }>;
      metas.push(results.map((r) => r.meta));
      return results;
    },
  };
  // An hour far in the past: no run of the benchmark writes it.
  const hour = Date.UTC(2000, 0, 1);
  const rows = (admitted: number) => keyIds.map((keyId) => ({ keyId, hour, ...emptyCounts(), admitted }));
  const lastUsed = keyIds.map((keyId) => ({ keyId, at: hour }));
  const statements = await rollUp(spy as never, accountId, rows(1), lastUsed);
  await rollUp(spy as never, accountId, rows(2), lastUsed);
  const sum = (batch: Meta[] | undefined, field: keyof Meta) => (batch ?? []).reduce((n, m) => n + (m[field] ?? 0), 0);
  return {
    keys: keyIds.length,
    statements,
    rowsWrittenFirst: sum(metas[0], "rows_written"),
    rowsWrittenLater: sum(metas[1], "rows_written"),
    msPerStatement: (sum(metas[0], "duration") + sum(metas[1], "duration")) / (2 * statements),
  };
}
