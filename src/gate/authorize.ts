/**
 * The data plane's side of the account gate: decides a verified key's
 * request in the contract's order (401 status, 403 scope, 403 client IP or
 * sender domain, 429 key limit, 429 account limit, 429 quota) as this
 * isolate's LeaseCaller (caller.ts) does it: from a lease or a 429 still in
 * force (no round trip), else with one call upstream, to the location's
 * holder when the request's location is known (holder.ts), else to the
 * account's gate. Returns the rate-limit headers every response to the
 * request carries; refusals are thrown as the documented errors, with those
 * headers. A key the gate refuses with 401 is refused in this isolate
 * without asking again until its record is read again (keys/check.ts).
 *
 * Restrictions (CONTRACT §8) are decided by the one rule of
 * restrictions/decide.ts wherever the answer comes from, with what the
 * request's RequestInspection shows: its client address, and the senders of
 * a sending request's body, read once, first, when the key's record, lease or
 * last 429 restricts senders, or when the gate answers `needs_senders`.
 *
 * If the gate cannot be reached the gateway fails closed (503), or, with
 * RATE_LIMIT_FAIL_OPEN=true, lets the request through without limits while
 * still refusing what the cached record knows to be revoked, expired,
 * disabled, out of scope or out of its restrictions.
 */
import type { MaybePromise, RequestContext } from "../context";
import { ApiError } from "../errors";
import { type Claim, claimAt } from "../idempotency/claim";
import { isolate } from "../isolate";
import { invalidKey } from "../keys/check";
import { quotaCost } from "../keys/mode";
import type { KeyRecord } from "../keys/records";
import { requiredScope } from "../keys/scopes";
import { keyStatus } from "../keys/status";
import { logBackground, logWarning } from "../log";
import { forbidden, type KeyRules, refusal } from "../restrictions/decide";
import type { RequestInspection } from "../restrictions/inspection";
import { newStats, type RequestStats } from "../stats";
import type { CallerContext, Need, Upstream, Verdict } from "./caller";
import { GateClient, HolderClient } from "./client";
import { costOf } from "./costs";
import { limitHeaders } from "./headers";
import { heldRules } from "./leases";
import type { UsageCounts } from "./protocol";

type LimitHeaders = Record<string, string> | undefined;

/** The holder of an account in a location: one Durable Object per pair. */
export const holderName = (accountId: string, location: string) => `${accountId}@${location}`;

/**
 * An account's upstream for this request: its location's holder when the
 * account's gate is far (gate/distance.ts), else the gate itself, whose
 * answers measure how far it is.
 */
function upstreamOf(rc: RequestContext, stats: RequestStats, accountId: string): Upstream {
  const { location, config } = rc;
  if (location !== undefined && config.LOCATION_HOLDERS) {
    const now = Date.now();
    if (isolate.distances.viaHolder(accountId, config.HOLDER_MIN_RTT_MS, now)) {
      if (config.HOLDER_MIN_RTT_MS > 0 && isolate.distances.remeasure(accountId, now)) {
        rc.waitUntil(measureGate(rc, accountId));
      }
      return new HolderClient(rc.env.BUDGET_HOLDER, holderName(accountId, location), { stats });
    }
    const gate = new GateClient(rc.env.RATE_LIMITER, { stats });
    return {
      check: async (request) => {
        const startedAt = Date.now();
        const result = await gate.check(request);
        isolate.distances.record(accountId, startedAt, Date.now(), result.tookMs);
        return result;
      },
      report: (request) => gate.report(request),
    };
  }
  return new GateClient(rc.env.RATE_LIMITER, { stats });
}

/** Pings a far account's gate off the request's path, to measure it again (distance.ts); a failed ping measures nothing. */
async function measureGate(rc: RequestContext, accountId: string): Promise<void> {
  const stats = newStats();
  const startedAt = Date.now();
  try {
    const tookMs = await new GateClient(rc.env.RATE_LIMITER, { stats }).ping(accountId);
    isolate.distances.record(accountId, startedAt, Date.now(), tookMs);
  } catch (error) {
    logWarning("account gate ping failed", { error: String((error as Error).cause ?? error) }, rc.requestId);
  } finally {
    logBackground(rc.requestId, "distance", stats);
  }
}

/** The account's own gate, where a claim is made with the request's decision (idempotency/claim.ts). */
function claimUpstream(rc: RequestContext, claim: Claim): Upstream {
  const gate = new GateClient(rc.env.RATE_LIMITER, { stats: rc.stats });
  return { check: (request) => claimAt(gate, request, claim), report: (request) => gate.report(request) };
}

/** The isolate's caller, for one request: the calls it waits for counted as its own, the work it leaves behind logged apart. */
function callerContext(rc: RequestContext): CallerContext {
  return {
    upstream: (accountId) => upstreamOf(rc, rc.stats, accountId),
    later: (accountId, task) => {
      const stats = newStats();
      return { upstream: upstreamOf(rc, stats, accountId), done: () => logBackground(rc.requestId, task, stats) };
    },
    background: (work) => rc.waitUntil(work),
    maxLeaseMs: rc.config.LEASE_MS,
  };
}

/**
 * A 403 the cached record decides (fail-open), or undefined. Senders it
 * needs were read before deciding (authorize): if they are still missing,
 * the body could not be checked, and why is the answer.
 */
function recordRefusal(rules: KeyRules, need: Need, inspection?: RequestInspection) {
  const refused = refusal(rules, need);
  if (refused !== "needs_senders") return refused;
  throw inspection?.unreadable ?? forbidden("sender");
}

/** Fail-open: no limits, but what the cached record knows still refuses the request. */
function failOpen(record: KeyRecord, need: Need, inspection?: RequestInspection): LimitHeaders {
  if (keyStatus(record, record.accountDisabled, Date.now()) !== "live") throw invalidKey();
  const refused = recordRefusal(record, need, inspection);
  if (refused) throw forbidden(refused);
  return undefined;
}

/** The headers for a verdict, or its refusal thrown with them. */
function answer(rc: RequestContext, record: KeyRecord, verdict: Verdict, inspection?: RequestInspection): LimitHeaders {
  const now = Date.now();
  rc.stats.accountGateCalls += verdict.gateCalls ?? 0;
  const decided =
    verdict.outcome === "ok" ? "allowed" : verdict.outcome === "needs_senders" ? "forbidden" : verdict.outcome;
  rc.stats.decision = verdict.source === "upstream" ? decided : verdict.source === "lease" ? "lease" : "blocked";
  switch (verdict.outcome) {
    case "unauthorized":
      isolate.refused.add(record);
      throw invalidKey();
    case "forbidden":
      throw forbidden(verdict.reason, limitHeaders(verdict.limits, now));
    case "needs_senders":
      // The senders were read and asked about (authorize): what is left is why the body could not be checked.
      throw inspection?.unreadable ?? forbidden("sender");
    case "rate_limited":
      throw new ApiError(
        "RATE_LIMITED",
        undefined,
        limitHeaders(verdict.limits, now, verdict.policy, verdict.heldUntil),
      );
    case "quota_exceeded":
      throw new ApiError("QUOTA_EXCEEDED", undefined, limitHeaders(verdict.limits, now, "quota", verdict.heldUntil));
    case "ok":
      return limitHeaders(verdict.limits, now);
  }
}

/** Everything that decides one request: its key, its need, and how (a claim goes to the account's own gate). */
interface Asked {
  rc: RequestContext;
  record: KeyRecord;
  method: string;
  resource: string;
  inspection?: RequestInspection;
  claim?: Claim;
}

/** The verdict of a call upstream, or fail-open's answer when it cannot be reached (never for a claim). */
async function upstreamAnswer(asked: Asked, need: Need, pending: Promise<Verdict>): Promise<LimitHeaders> {
  const { rc, record, inspection, claim } = asked;
  let verdict: Verdict;
  try {
    verdict = await pending;
  } catch (error) {
    logWarning("account gate unreachable", { error: String((error as Error).cause ?? error) }, rc.requestId);
    // Without the gate an Idempotency-Key cannot be honoured: fail-open would risk sending it twice.
    if (!rc.config.RATE_LIMIT_FAIL_OPEN || claim) throw error;
    rc.stats.decision = "bypassed";
    return failOpen(record, need, inspection);
  }
  if (verdict.outcome === "needs_senders" && inspection && need.senders === undefined) {
    // The key's live policy restricts senders where its record did not (a PATCH since): read them, ask again.
    await inspection.read();
    if (!inspection.unreadable) return decide(asked);
  }
  return answer(rc, record, verdict, inspection);
}

/** One decision of the isolate's caller, answered as headers or a thrown refusal. */
function decide(asked: Asked): MaybePromise<LimitHeaders> {
  const { rc, record, method, resource, inspection, claim } = asked;
  const now = Date.now();
  // A test key's requests cost the quota nothing (keys/mode.ts); they count against the rate limits as any.
  const cost = quotaCost(record.mode, costOf(rc.config.ROUTE_COSTS, method, resource));
  const need: Need = { scope: requiredScope(method, resource), cost, ...inspection?.facts() };
  const state = isolate.leases.stateOf(record.id, record.accountId, now);
  // A sending request of a key restricted to senders (its record, lease or 429 says so): the body is read first, once.
  if (inspection?.wants(record, heldRules(state))) return inspection.read().then(() => decide(asked));
  const key = {
    keyId: record.id,
    accountId: record.accountId,
    keyVersion: record.keyVersion,
    accountVersion: record.accountVersion,
    rules: record,
  };
  const options = claim ? { upstream: claimUpstream(rc, claim) } : {};
  const verdict = isolate.caller.decide(callerContext(rc), key, need, now, options);
  return verdict instanceof Promise ? upstreamAnswer(asked, need, verdict) : answer(rc, record, verdict, inspection);
}

/** The request `authorize` decides, besides the request's context. */
export interface AuthorizeInput {
  /** The verified key's record (keys/check.ts). */
  record: KeyRecord;
  method: string;
  /** The `{resource}` of `/v1/{resource}...`, as the request's Target gives it. */
  resource: string;
  /** What the request shows the key's restrictions; without one none of its facts are known. */
  inspection?: RequestInspection;
  /** An idempotent request's claim (idempotency/claim.ts): its verdict lands in `claim.verdict`. */
  claim?: Claim;
}

/**
 * Decides a request of `record` to `method /v1/{resource}...`: status, scope,
 * restrictions, then every limit and the quota. From a lease, or a 429
 * repeated, the answer is synchronous (no round trip, no await); see
 * MaybePromise. An idempotent request (`claim`) always asks the account's
 * own gate, which claims its key in the same call (its verdict lands in
 * `claim.verdict`); only a rate limit's 429 is repeated for it (a replay may
 * pass an exhausted quota).
 */
export function authorize(
  rc: RequestContext,
  { record, method, resource, inspection, claim }: AuthorizeInput,
): MaybePromise<LimitHeaders> {
  return decide({ rc, record, method, resource, inspection, claim });
}

/** Counts what the origin answered an admitted request, for the usage report. */
export function recordOrigin(record: KeyRecord, status: number | "failed"): void {
  const now = Date.now();
  const field: keyof UsageCounts =
    status === "failed"
      ? "originFailed"
      : status >= 500
        ? "origin5xx"
        : status >= 400
          ? "origin4xx"
          : status >= 300
            ? "origin3xx"
            : "origin2xx";
  isolate.leases.recordUsage(isolate.leases.stateOf(record.id, record.accountId, now), field, now);
}
