/**
 * The data plane's side of the account gate: decides a verified key's
 * request in the contract's order (401 status, 403 scope, 429 key limit,
 * 429 account limit, 429 quota) as this isolate's LeaseCaller (caller.ts)
 * does it: from a lease or a 429 still in force (no round trip), else with
 * one call upstream, to the location's holder when the request's location
 * is known (holder.ts), else to the account's gate. Returns the rate-limit
 * headers every response to the request carries; refusals are thrown as the
 * documented errors, with those headers. A key the gate refuses with 401 is
 * refused in this isolate without asking again until its record is read
 * again (keys/check.ts).
 *
 * If the gate cannot be reached the gateway fails closed (503), or, with
 * RATE_LIMIT_FAIL_OPEN=true, lets the request through without limits while
 * still refusing what the cached record knows to be revoked, expired,
 * disabled or out of scope.
 */
import type { MaybePromise, RequestContext } from "../context";
import { ApiError } from "../errors";
import { type Claim, claimAt } from "../idempotency/claim";
import { isolate } from "../isolate";
import { invalidKey } from "../keys/check";
import type { KeyRecord } from "../keys/records";
import { allows, requiredScope } from "../keys/scopes";
import { keyStatus } from "../keys/status";
import { logBackground, logWarning } from "../log";
import { newStats, type RequestStats } from "../stats";
import type { CallerContext, Need, Upstream, Verdict } from "./caller";
import { GateClient, HolderClient } from "./client";
import { costOf } from "./costs";
import { limitHeaders } from "./headers";
import type { UsageCounts } from "./protocol";

type LimitHeaders = Record<string, string> | undefined;

/** The holder of an account in a location: one Durable Object per pair. */
export const holderName = (accountId: string, location: string) => `${accountId}@${location}`;

/** An account's upstream for this request: its location's holder, or the gate itself. */
function upstreamOf(rc: RequestContext, stats: RequestStats, accountId: string): Upstream {
  if (rc.location !== undefined && rc.config.LOCATION_HOLDERS) {
    return new HolderClient(rc.env.BUDGET_HOLDER, holderName(accountId, rc.location), { stats });
  }
  return new GateClient(rc.env.RATE_LIMITER, { stats });
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

/** Fail-open: no limits, but what the cached record knows still refuses the request. */
function failOpen(record: KeyRecord, scope: string): LimitHeaders {
  if (keyStatus(record, record.accountDisabled, Date.now()) !== "live") throw invalidKey();
  if (!allows(record.scopes, scope)) throw new ApiError("FORBIDDEN");
  return undefined;
}

/** The headers for a verdict, or its refusal thrown with them. */
function answer(rc: RequestContext, record: KeyRecord, verdict: Verdict): LimitHeaders {
  const now = Date.now();
  rc.stats.accountGateCalls += verdict.gateCalls ?? 0;
  rc.stats.decision =
    verdict.source === "upstream"
      ? verdict.outcome === "ok"
        ? "allowed"
        : verdict.outcome
      : verdict.source === "lease"
        ? "lease"
        : "blocked";
  switch (verdict.outcome) {
    case "unauthorized":
      isolate.refused.add(record);
      throw invalidKey();
    case "forbidden":
      throw new ApiError("FORBIDDEN", undefined, limitHeaders(verdict.limits, now));
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

/** The verdict of a call upstream, or fail-open's answer when it cannot be reached (never for a claim). */
async function upstreamAnswer(
  rc: RequestContext,
  record: KeyRecord,
  need: Need,
  pending: Promise<Verdict>,
  claim?: Claim,
) {
  let verdict: Verdict;
  try {
    verdict = await pending;
  } catch (error) {
    logWarning("account gate unreachable", { error: String((error as Error).cause ?? error) }, rc.requestId);
    // Without the gate an Idempotency-Key cannot be honoured: fail-open would risk sending it twice.
    if (!rc.config.RATE_LIMIT_FAIL_OPEN || claim) throw error;
    rc.stats.decision = "bypassed";
    return failOpen(record, need.scope);
  }
  return answer(rc, record, verdict);
}

/**
 * Decides a request of `record` to `method /v1/{resource}...`: status, scope,
 * then every limit and the quota. From a lease, or a 429 repeated, the answer
 * is synchronous (no round trip, no await); see MaybePromise. An idempotent
 * request (`claim`) always asks the account's own gate, which claims its key
 * in the same call (its verdict lands in `claim.verdict`); only a rate
 * limit's 429 is repeated for it (a replay may pass an exhausted quota).
 */
export function authorize(
  rc: RequestContext,
  record: KeyRecord,
  method: string,
  resource: string,
  claim?: Claim,
): MaybePromise<LimitHeaders> {
  const need: Need = { scope: requiredScope(method, resource), cost: costOf(rc.config.ROUTE_COSTS, method, resource) };
  const key = {
    keyId: record.id,
    accountId: record.accountId,
    keyVersion: record.keyVersion,
    accountVersion: record.accountVersion,
  };
  const options = claim ? { upstream: claimUpstream(rc, claim) } : {};
  const verdict = isolate.caller.decide(callerContext(rc), key, need, Date.now(), options);
  return verdict instanceof Promise ? upstreamAnswer(rc, record, need, verdict, claim) : answer(rc, record, verdict);
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
