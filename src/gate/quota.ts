/**
 * The account's calendar quota as the ledger counts it: units used in the
 * current period, computed from the clock (calendar.ts), never reset by an
 * alarm, so a retried alarm cannot reset a quota twice or lose its count;
 * and which quota webhooks (80 % and 100 %) are due, each once per period.
 */
import type { Quota } from "../db/limits";
import type { QuotaRef } from "../webhooks/events";
import { periodAt } from "./calendar";

export type QuotaEvent = "quota.warning" | "quota.exhausted";

/** Units counted in the quota period that starts at `start`, and the webhook events recorded for it. */
export interface QuotaCount {
  period: "day" | "month";
  start: number;
  used: number;
  notified?: Partial<Record<QuotaEvent, true>>;
}

/** Each event and the share of the quota that sends it. */
const EVENTS: ReadonlyArray<readonly [QuotaEvent, number]> = [
  ["quota.warning", 0.8],
  ["quota.exhausted", 1],
];

/**
 * The count of the period containing `now`: `current` if it is that period's,
 * else a new one. What was counted inside the new period still counts (a day
 * quota changed to a month mid-month); anything else is gone.
 */
export function quotaAt(current: QuotaCount | undefined, quota: Quota, now: number): QuotaCount {
  const { start } = periodAt(quota.period, now);
  if (current && current.start === start && current.period === quota.period) return current;
  const carried = current && current.start >= start ? current.used : 0;
  return { period: quota.period, start, used: carried };
}

/** A quota event due now: its type and webhook data. */
export interface DueQuotaEvent {
  type: QuotaEvent;
  periodStart: number;
  data: { quota: QuotaRef };
}

/** The events the count has crossed and not yet recorded. */
export function dueQuotaEvents(count: QuotaCount, quota: Quota, now: number): DueQuotaEvent[] {
  const due: DueQuotaEvent[] = [];
  for (const [type, share] of EVENTS) {
    if (count.notified?.[type] || count.used < quota.limit * share) continue;
    const resetAt = new Date(periodAt(quota.period, now).end).toISOString();
    const used = Math.min(count.used, quota.limit);
    due.push({
      type,
      periodStart: count.start,
      data: { quota: { limit: quota.limit, period: quota.period, used, resetAt } },
    });
  }
  return due;
}
