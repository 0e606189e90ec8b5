/**
 * Reading usage: the rows the account's gate rolled up to D1, merged with
 * the rows it holds now and has not rolled up yet (its recent hours), so a
 * read is exact as of the call without waiting for a rollup and without a
 * write. Both hold absolute counts per key and hour, so the merge takes the
 * larger of each count. Hours are summed into UTC days when asked. Rows
 * come as CSV too (`usageCsv`), the same for the admin API and the dashboard.
 */
import { and, asc, eq, gte, lt } from "drizzle-orm";
import { getDb } from "../db/client";
import { usageHours } from "../db/schema";
import { dayOf } from "../gate/calendar";
import { GateClient } from "../gate/client";
import type { UsageCounts } from "../gate/protocol";
import { emptyCounts, USAGE_FIELDS, type UsageRow } from "../gate/usage";
import { isolate } from "../isolate";

export type Granularity = "hour" | "day";

export interface UsageQuery {
  accountId: string;
  granularity: Granularity;
  /** Epoch ms: rows whose hour (or day) starts at or after `from`'s, and before `to`. */
  from: number;
  to: number;
  keyId?: string;
}

export interface UsageBucket extends UsageCounts {
  /** Start of the hour or UTC day, epoch ms. */
  start: number;
  keyId: string;
}

const bucketOf = (granularity: Granularity, hour: number) => (granularity === "day" ? dayOf(hour) : hour);

/** Usage per key and hour (or day), oldest first, exact as of now; rows with no count are left out. */
export async function readUsage(env: Env, query: UsageQuery): Promise<UsageBucket[]> {
  const first = bucketOf(query.granularity, query.from - (query.from % 3_600_000));
  const inRange = (hour: number) => hour >= first && hour < query.to;
  const [stored, live] = await Promise.all([
    getDb(env.DB)
      .select()
      .from(usageHours)
      .where(
        and(
          eq(usageHours.accountId, query.accountId),
          gte(usageHours.hour, first),
          lt(usageHours.hour, query.to),
          query.keyId ? eq(usageHours.keyId, query.keyId) : undefined,
        ),
      )
      .orderBy(asc(usageHours.hour)),
    liveRows(env, query.accountId),
  ]);
  // Absolute counts per key and hour: the larger of what D1 and the gate hold.
  const hours = new Map<string, UsageRow>();
  for (const row of [...stored, ...live]) {
    if (!inRange(row.hour) || (query.keyId && row.keyId !== query.keyId)) continue;
    const id = `${row.hour}:${row.keyId}`;
    const known = hours.get(id);
    const merged: UsageRow = { keyId: row.keyId, hour: row.hour, ...emptyCounts() };
    for (const field of USAGE_FIELDS) merged[field] = Math.max(known?.[field] ?? 0, row[field]);
    hours.set(id, merged);
  }
  // Then into buckets (a day sums its hours).
  const buckets = new Map<string, UsageBucket>();
  for (const row of hours.values()) {
    const start = bucketOf(query.granularity, row.hour);
    const id = `${start}:${row.keyId}`;
    const bucket = buckets.get(id) ?? { start, keyId: row.keyId, ...emptyCounts() };
    for (const field of USAGE_FIELDS) bucket[field] += row[field];
    buckets.set(id, bucket);
  }
  return [...buckets.values()]
    .filter((bucket) => USAGE_FIELDS.some((field) => bucket[field] > 0))
    .sort((a, b) => a.start - b.start || a.keyId.localeCompare(b.keyId));
}

/** Usage rows as CSV (RFC 4180 line ends): `start` (ISO-8601), `keyId`, then every count, oldest first. */
export function usageCsv(rows: UsageBucket[]): string {
  const header = ["start", "keyId", ...USAGE_FIELDS].join(",");
  const lines = rows.map((row) =>
    [new Date(row.start).toISOString(), row.keyId, ...USAGE_FIELDS.map((field) => row[field])].join(","),
  );
  return `${[header, ...lines].join("\r\n")}\r\n`;
}

/**
 * The rows the gate holds now, after handing it what this isolate still owes
 * the account (reports of requests answered here); a read must be exact, so
 * an unreachable gate is a 503, not a guess.
 */
async function liveRows(env: Env, accountId: string): Promise<UsageRow[]> {
  return (await new GateClient(env.RATE_LIMITER).live(accountId, isolate.leases)).rows;
}
