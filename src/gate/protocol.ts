/**
 * The messages between an isolate and an account's gate (the Durable Object
 * of gate/object.ts): one `check` per request that the isolate cannot answer
 * from a lease, or per lease refresh, answered with the key's live status,
 * the decision of every policy (the key's limit, the account's shared limit,
 * the account's quota) and, for a busy key, a lease. The same call carries
 * back what the isolate did since its last call: unused lease tokens, and the
 * usage of the requests it answered on its own.
 *
 * A request carries what the key's restrictions are decided on (CONTRACT
 * §8): the client's address and, on a sending route, the sender domains of
 * its body when the isolate read them. A key whose live policy restricts
 * senders, asked about a sending request whose senders were not read, gets
 * `needs_senders`: nothing is decided or counted, and the isolate reads the
 * body and asks again (rare: only after a PATCH its record has not seen).
 */
import type { Forbidden, Restrictions } from "../restrictions/decide";

/** A sliding-window rate limit's state, for the headers: the `key` or the `account` policy. */
export interface WindowState {
  limit: number;
  windowSeconds: number;
  remaining: number;
  /** Epoch ms at which `remaining` next grows (the oldest admission leaves the window). */
  resetAt: number;
}

/** The account's calendar quota for the current period. */
export interface QuotaState {
  limit: number;
  period: "day" | "month";
  /** The current period's length (a month has 28 to 31 days). */
  periodSeconds: number;
  used: number;
  /** Epoch ms of the next period's start. */
  resetAt: number;
}

/** Every policy that applies to a key's requests, as of one decision. */
export interface Limits {
  key: WindowState;
  account?: WindowState;
  quota?: QuotaState;
}

/**
 * Tokens (and quota units) the gate has already counted, which the isolate
 * may spend until `expiresAt`; with the key's scopes and restrictions (only
 * those set), so the isolate refuses what the gate would (restrictions/decide.ts).
 */
export interface Lease extends Restrictions {
  tokens: number;
  /** Quota units for those tokens (0 when no quota applies). */
  units: number;
  expiresAt: number;
  scopes: string[];
  /** Where the tokens were recorded, to give the unused ones back. */
  keyBucket: number;
  accountBucket?: number;
  /** Start of the quota period the units were counted in. */
  periodStart?: number;
}

/** Unused tokens and units of a lease, given back. */
export interface Release {
  keyId: string;
  tokens: number;
  units: number;
  keyBucket: number;
  accountBucket?: number;
  periodStart?: number;
}

/** Counts of one key in one hour: what the gate decided and what the origin answered. */
export interface UsageCounts {
  admitted: number;
  rateLimited: number;
  quotaExceeded: number;
  forbidden: number;
  origin2xx: number;
  origin3xx: number;
  origin4xx: number;
  origin5xx: number;
  /** The origin could not be reached or did not answer in time (502, 504). */
  originFailed: number;
}

/** What an isolate reports: per key id, per hour (epoch ms of its start), the counts, and the last use. */
export type UsageReport = Record<string, { hours: Record<string, Partial<UsageCounts>>; lastUsedAt: number }>;

/** A lease wanted for another key of the account that this isolate serves: one call refreshes them all. */
export interface LeaseWant {
  keyId: string;
  want: number;
  leaseMs: number;
  /** Quota units per request, for the lease's units. */
  cost: number;
}

export interface CheckRequest {
  accountId: string;
  keyId: string;
  /**
   * The versions of the key's and its account's policies that the caller's
   * record names (their rows' `updated_at`): a gate holding an older one
   * reads it again first. 0 or absent: no claim.
   */
  keyVersion?: number;
  accountVersion?: number;
  /** The scope the request needs (keys/scopes.ts). */
  scope: string;
  /** Quota units the request costs (ROUTE_COSTS); 0 is never refused by the quota. */
  cost: number;
  /** The client's address (CF-Connecting-IP), for the key's allowedIps; null: the edge did not say. */
  clientIp?: string | null;
  /** Whether the request is on a sending route (SENDING_ROUTES), for the key's allowedSenderDomains. */
  sending?: boolean;
  /** On a sending route: the sender domains of the body (canonical), when read; absent: not read. */
  senders?: readonly string[];
  /** false: only refresh the lease and deliver reports; decide no request. */
  admit: boolean;
  /** Tokens the isolate would like to hold, and for how long (0: no lease). */
  want: number;
  leaseMs: number;
  release?: Release[];
  report?: UsageReport;
  /** Leases for other keys of the account, granted in the same call (no request decided for them). */
  leases?: LeaseWant[];
}

export type RefusalPolicy = "key" | "account";

/** A lease answer for a key: its status, and maybe tokens. */
export type LeaseGrant = { outcome: "unauthorized" } | { outcome: "ok"; limits: Limits; lease?: Lease };

/**
 * A refusal for budget that leases hold may end early: `heldUntil` (epoch ms)
 * is when those leases end and their unused tokens come back. The 429's
 * `Retry-After` then points there (at most 5 s), not at the window's or the
 * period's end.
 */
export interface Held extends Restrictions {
  heldUntil?: number;
  /** The key's scopes (and restrictions): a caller repeating this 429 until its Retry-After still answers 403 first. */
  scopes: string[];
}

export type Decision =
  | { outcome: "unauthorized" }
  /** `reason`: the scope (when absent), the client's address, or a sender's domain. */
  | { outcome: "forbidden"; limits: Limits; reason?: Forbidden }
  /** The key's live policy restricts senders, and the request's were not read: nothing decided, nothing counted. */
  | { outcome: "needs_senders" }
  | ({ outcome: "rate_limited"; policy: RefusalPolicy; limits: Limits } & Held)
  | ({ outcome: "quota_exceeded"; limits: Limits } & Held)
  | { outcome: "ok"; limits: Limits; lease?: Lease };

/**
 * The decision of the request, and the leases asked for the account's other
 * keys. A location's holder (holder.ts) also says how many calls it made to
 * the account's gate for this one (`gateCalls`: the request waited on them).
 * The gate says how long it spent on the call (`tookMs`: its start, the
 * policies it read from D1), so that the caller's round trip less that is
 * the distance to the gate (distance.ts).
 */
export type CheckResult = Decision & { others?: Record<string, LeaseGrant>; gateCalls?: number; tookMs?: number };

/** What an isolate may send without a request to decide: releases and reports only. */
export type ReportRequest = Pick<CheckRequest, "accountId" | "release" | "report">;
