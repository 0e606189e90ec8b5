/**
 * The rate-limit headers of every authenticated response (CONTRACT §1):
 * `X-RateLimit-Limit`, `-Remaining`, `-Reset` (epoch seconds), and
 * `RateLimit-Policy` / `RateLimit` in the syntax of
 * draft-ietf-httpapi-ratelimit-headers, plus `Retry-After` on 429.
 */
import type { Quota } from "./protocol";

/** The headers describing `quota` at `now`; `limited` adds Retry-After. */
export function rateLimitHeaders(quota: Quota, now: number, limited = false): Record<string, string> {
  const resetSeconds = Math.max(0, Math.ceil((quota.resetAt - now) / 1000));
  const headers: Record<string, string> = {
    "X-RateLimit-Limit": String(quota.limit),
    "X-RateLimit-Remaining": String(quota.remaining),
    "X-RateLimit-Reset": String(Math.ceil(quota.resetAt / 1000)),
    "RateLimit-Policy": `"default";q=${quota.limit};w=${quota.windowSeconds}`,
    RateLimit: `"default";r=${quota.remaining};t=${resetSeconds}`,
  };
  if (limited) headers["Retry-After"] = String(Math.max(1, resetSeconds));
  return headers;
}
