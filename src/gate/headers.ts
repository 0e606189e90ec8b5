/**
 * The rate-limit headers of every authenticated response (CONTRACT §1):
 *
 * - `X-RateLimit-Limit`, `-Remaining`, `-Reset` (epoch seconds) for the rate
 *   limit (`key` or `account`) with the fewest requests remaining;
 * - `RateLimit-Policy` and `RateLimit` in the syntax of
 *   draft-ietf-httpapi-ratelimit-headers, one list member per policy that
 *   applies (`"key"`, `"account"`, `"quota"`);
 * - `X-Quota-Limit`, `-Remaining`, `-Reset` when a quota applies;
 * - `Retry-After` on 429: seconds until the refusing policy lets a request
 *   through, or, when leases elsewhere hold that policy's budget and may give
 *   it back, until they end (at most 5 s: never the period's end).
 */
import type { Limits, QuotaState, WindowState } from "./protocol";

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/** The refusal a 429 answers, for its Retry-After. */
export type Refusal = "key" | "account" | "quota";

function quotaRemaining(quota: QuotaState): number {
  return Math.max(0, quota.limit - quota.used);
}

/**
 * How long a refused client should wait, in whole seconds as ms (at least
 * 1 s): until the refusing policy next has room, or until `heldUntil` when
 * that is sooner (budget held by leases that may come back).
 */
export function retryAfterMs(limits: Limits, now: number, refused: Refusal, heldUntil?: number): number {
  const { key, account, quota } = limits;
  const resetAt =
    refused === "quota" ? (quota?.resetAt ?? now) : refused === "account" && account ? account.resetAt : key.resetAt;
  const wait = heldUntil === undefined ? resetAt - now : Math.min(resetAt - now, heldUntil - now);
  return Math.max(1, seconds(wait)) * 1000;
}

/** The headers describing `limits` at `now`; `refused` adds Retry-After for that policy (see retryAfterMs). */
export function limitHeaders(
  limits: Limits,
  now: number,
  refused?: Refusal,
  heldUntil?: number,
): Record<string, string> {
  const { key, account, quota } = limits;
  const tightest: WindowState = account && account.remaining < key.remaining ? account : key;
  const policies = [`"key";q=${key.limit};w=${key.windowSeconds}`];
  const states = [`"key";r=${key.remaining};t=${seconds(key.resetAt - now)}`];
  if (account) {
    policies.push(`"account";q=${account.limit};w=${account.windowSeconds}`);
    states.push(`"account";r=${account.remaining};t=${seconds(account.resetAt - now)}`);
  }
  const headers: Record<string, string> = {
    "X-RateLimit-Limit": String(tightest.limit),
    "X-RateLimit-Remaining": String(tightest.remaining),
    "X-RateLimit-Reset": String(Math.ceil(tightest.resetAt / 1000)),
  };
  if (quota) {
    policies.push(`"quota";q=${quota.limit};w=${quota.periodSeconds}`);
    states.push(`"quota";r=${quotaRemaining(quota)};t=${seconds(quota.resetAt - now)}`);
    headers["X-Quota-Limit"] = String(quota.limit);
    headers["X-Quota-Remaining"] = String(quotaRemaining(quota));
    headers["X-Quota-Reset"] = String(Math.ceil(quota.resetAt / 1000));
  }
  headers["RateLimit-Policy"] = policies.join(", ");
  headers.RateLimit = states.join(", ");
  if (refused) headers["Retry-After"] = String(retryAfterMs(limits, now, refused, heldUntil) / 1000);
  return headers;
}
