/**
 * What one request cost: which cache layer answered the key lookup, the
 * storage operations it made, and the rate-limit outcome. It feeds the
 * request's log line and the benchmark's operation counts.
 */

export type CacheLayer = "isolate" | "kv" | "d1";

export interface RequestStats {
  /** Which layer answered the key lookup, if one was made. */
  cache?: CacheLayer;
  kvReads: number;
  d1Queries: number;
  objectCalls: number;
  /** allowed, lease (allowed from a lease, no object call), limited, bypassed (fail-open). */
  rateLimit?: "allowed" | "lease" | "limited" | "bypassed";
}

export function newStats(): RequestStats {
  return { kvReads: 0, d1Queries: 0, objectCalls: 0 };
}
