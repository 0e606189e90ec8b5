/**
 * What Settings > Usage shows, computed from the usage rows (one per key and
 * UTC day, src/operations/usage.ts): the last 30 UTC days, today included;
 * each day's requests by outcome (admitted, rate limited, quota exceeded,
 * forbidden), for all keys or one; each key's totals over the period; and
 * the chart's scale, round steps up to the busiest day.
 */
import { dayOf } from "../../gate/calendar";
import type { UsageBucket } from "../../operations/usage";

const DAY_MS = 86_400_000;
export const USAGE_DAYS = 30;

/** The outcomes the chart stacks, bottom to top, with their words. */
export const OUTCOMES = ["admitted", "rateLimited", "quotaExceeded", "forbidden"] as const;
export type Outcome = (typeof OUTCOMES)[number];
export const OUTCOME_LABELS: Record<Outcome, string> = {
  admitted: "Admitted",
  rateLimited: "Rate limited",
  quotaExceeded: "Quota exceeded",
  forbidden: "Forbidden",
};

export type OutcomeCounts = Record<Outcome, number> & { total: number };

/** The period the page covers: 30 UTC days up to now (`from` is the first day's 00:00 UTC). */
export interface UsagePeriod {
  from: number;
  to: number;
  /** Each day's start, oldest first. */
  days: number[];
}

/** The last 30 UTC days, today included, as of `now`. */
export function usagePeriod(now = Date.now()): UsagePeriod {
  const first = dayOf(now) - (USAGE_DAYS - 1) * DAY_MS;
  return { from: first, to: now, days: Array.from({ length: USAGE_DAYS }, (_, i) => first + i * DAY_MS) };
}

/** No requests: every count zero. */
export const zeroCounts = (): OutcomeCounts => ({
  admitted: 0,
  rateLimited: 0,
  quotaExceeded: 0,
  forbidden: 0,
  total: 0,
});

function add(into: OutcomeCounts, row: Record<Outcome, number>): void {
  for (const outcome of OUTCOMES) into[outcome] += row[outcome];
  into.total += OUTCOMES.reduce((sum, outcome) => sum + row[outcome], 0);
}

/** The counts of `rows` (days, or usage rows) added up, by outcome and in total. */
export function sumCounts(rows: Array<Record<Outcome, number>>): OutcomeCounts {
  const sum = zeroCounts();
  for (const row of rows) add(sum, row);
  return sum;
}

/** Every day of the period with its counts (zero when none), for all keys or only `keyId`. */
export function dailyCounts(
  rows: UsageBucket[],
  period: UsagePeriod,
  keyId?: string,
): Array<{ day: number } & OutcomeCounts> {
  const byDay = new Map(period.days.map((day) => [day, { day, ...zeroCounts() }]));
  for (const row of rows) {
    if (keyId && row.keyId !== keyId) continue;
    const day = byDay.get(row.start);
    if (day) add(day, row);
  }
  return [...byDay.values()];
}

/** Each key's totals over the rows, busiest first; and the account's. */
export function keyTotals(rows: UsageBucket[]): {
  keys: Array<{ keyId: string } & OutcomeCounts>;
  all: OutcomeCounts;
} {
  const byKey = new Map<string, { keyId: string } & OutcomeCounts>();
  const all = zeroCounts();
  for (const row of rows) {
    const key = byKey.get(row.keyId) ?? { keyId: row.keyId, ...zeroCounts() };
    add(key, row);
    add(all, row);
    byKey.set(row.keyId, key);
  }
  const keys = [...byKey.values()].sort((a, b) => b.total - a.total || a.keyId.localeCompare(b.keyId));
  return { keys, all };
}

/**
 * The chart's y axis for a busiest day of `max`: a round step (1, 2 or 5
 * times a power of ten) giving at most 5 gridlines above zero, and the top,
 * the first multiple of the step at or above `max`.
 */
export function chartScale(max: number): { top: number; step: number } {
  const rough = Math.max(1, max / 5);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].find((s) => s * power >= rough) as number) * power;
  return { top: step * Math.max(1, Math.ceil(max / step)), step };
}
