/**
 * What one request cost: which cache layer answered the key lookup, the
 * storage operations it made, and the account gate's decision. It feeds the
 * request's log line and the benchmark's operation counts.
 */

export type CacheLayer = "isolate" | "kv" | "d1";

export interface RequestStats {
  /** Which layer answered the key lookup, if one was made. */
  cache?: CacheLayer;
  kvReads: number;
  kvWrites: number;
  d1Queries: number;
  /** Every Durable Object call. */
  objectCalls: number;
  /** Those of objectCalls that went to the account's own gate, which may be far from the request. */
  accountGateCalls: number;
  /**
   * The account gate's answer: allowed (one round trip), lease (from a lease,
   * no round trip; refusals from a lease too), blocked (a 429 repeated until
   * its Retry-After, no round trip), forbidden, rate_limited,
   * quota_exceeded, unauthorized, or bypassed (fail-open).
   */
  decision?:
    | "allowed"
    | "lease"
    | "blocked"
    | "forbidden"
    | "rate_limited"
    | "quota_exceeded"
    | "unauthorized"
    | "bypassed";
  /** For a request with an Idempotency-Key: the gate's verdict on it (idempotency/protocol.ts). */
  idempotency?: "first" | "replay" | "in_flight" | "not_kept" | "reused";
}

export function newStats(): RequestStats {
  return { kvReads: 0, kvWrites: 0, d1Queries: 0, objectCalls: 0, accountGateCalls: 0 };
}
