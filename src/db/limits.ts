/**
 * Rate limits and quotas to and from their pairs of columns: the one place
 * that knows a limit is stored as `…_limit` + `…_window_seconds` and a quota
 * as `quota_limit` + `quota_period`, a pair being null together.
 */

export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

export interface Quota {
  limit: number;
  period: "day" | "month";
}

/** A limit from its two columns, or null when unset. */
export function rateLimitOf(limit: number | null, windowSeconds: number | null): RateLimit | null {
  return limit != null && windowSeconds != null ? { limit, windowSeconds } : null;
}

/** A quota from its two columns, or null when unset. */
export function quotaOf(limit: number | null, period: "day" | "month" | null): Quota | null {
  return limit != null && period != null ? { limit, period } : null;
}

/** The columns of a key's or an account's own rate limit: `undefined` leaves them alone, `null` clears them. */
export function rateLimitColumns(value: RateLimit | null): {
  rateLimitLimit: number | null;
  rateLimitWindowSeconds: number | null;
};
export function rateLimitColumns(value: RateLimit | null | undefined): {
  rateLimitLimit?: number | null;
  rateLimitWindowSeconds?: number | null;
};
export function rateLimitColumns(value: RateLimit | null | undefined) {
  if (value === undefined) return {};
  return { rateLimitLimit: value?.limit ?? null, rateLimitWindowSeconds: value?.windowSeconds ?? null };
}

/** The columns of an account's shared rate limit, likewise. */
export function sharedRateLimitColumns(value: RateLimit | null | undefined) {
  if (value === undefined) return {};
  return { sharedRateLimitLimit: value?.limit ?? null, sharedRateLimitWindowSeconds: value?.windowSeconds ?? null };
}

/** The columns of an account's quota, likewise. */
export function quotaColumns(value: Quota | null | undefined) {
  if (value === undefined) return {};
  return { quotaLimit: value?.limit ?? null, quotaPeriod: value?.period ?? null };
}

/** Where a key's rate limit comes from: its own, its account's default for keys, or the gateway's. */
export type RateLimitSource = "key" | "account" | "gateway";

/** The limit that applies to a key: its own, else its account's default, else the gateway's; and whose it is. */
export function effectiveRateLimit(
  own: RateLimit | null,
  accountDefault: RateLimit | null,
  gatewayDefault: RateLimit,
): RateLimit & { source: RateLimitSource } {
  if (own) return { ...own, source: "key" };
  if (accountDefault) return { ...accountDefault, source: "account" };
  return { ...gatewayDefault, source: "gateway" };
}
