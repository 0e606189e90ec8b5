/**
 * The account's quota and this period's use of it, in words, as Settings >
 * API Keys (with the account's limits) and Settings > Usage both show it:
 * "1,234 of 50,000 units used this month (UTC) · resets 1 Jul 2026, 00:00
 * UTC", "None" without a quota, and a plain line when the account's gate
 * could not tell the use just now.
 */
import { quotaOf } from "../../db/limits";
import type { Account } from "../../db/schema";
import { formatCount, formatDate } from "./format";

/** This period's quota use; null without a quota, undefined when the account's gate could not tell just now. */
export type QuotaUsage = { used: number; resetAt: number } | null | undefined;

/** The quota and this period's use, in words. */
export function QuotaUse(props: { account: Account; usage: QuotaUsage }) {
  const quota = quotaOf(props.account.quotaLimit, props.account.quotaPeriod);
  if (!quota) return <span>None</span>;
  const period = quota.period === "day" ? "today (UTC)" : "this month (UTC)";
  if (!props.usage) {
    return (
      <span>
        {formatCount(quota.limit)} units per {quota.period}; this period's use cannot be shown just now.
      </span>
    );
  }
  return (
    <span>
      <strong>{formatCount(props.usage.used)}</strong> of {formatCount(quota.limit)} units used {period} · resets{" "}
      {formatDate(new Date(props.usage.resetAt))}
    </span>
  );
}
