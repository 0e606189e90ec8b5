/**
 * The data plane's side of the account gate: decides a verified key's
 * request in the contract's order (401 status, 403 scope, 429 key limit,
 * 429 account limit, 429 quota) with one round trip to the account's gate,
 * or with none: from a lease for a busy key (whose successor is fetched
 * ahead in the background), or by repeating a 429 until its Retry-After.
 * Returns the rate-limit headers every response to the request carries;
 * refusals are thrown as the documented errors, with those headers. A key
 * the gate refuses with 401 is refused in this isolate without asking again
 * until its record is read again (keys/check.ts).
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
import { newStats } from "../stats";
import { GateClient } from "./client";
import { costOf } from "./costs";
import { limitHeaders, type Refusal, retryAfterMs } from "./headers";
import { install, type KeyState, leaseEnd, MAX_BLOCK_MS, shouldRefresh } from "./leases";
import type { CheckRequest, CheckResult, UsageCounts } from "./protocol";

type LimitHeaders = Record<string, string> | undefined;

/** How long after a lease's end its settlement waits for a call that would carry it anyway. */
const SETTLE_DELAY_MS = 500;

/** What a request needs from the gate: a scope, and quota units. */
interface Need {
  scope: string;
  cost: number;
}

const leases = () => isolate.leases;
const clientOf = (rc: Pick<RequestContext, "env" | "stats">) =>
  new GateClient(rc.env.RATE_LIMITER, { stats: rc.stats });

/**
 * The one way a call to the gate is built: the key and what it needs (or
 * nothing, `admit: false`), the lease wanted, the leases due to the
 * account's other keys here, and everything this isolate owes the account.
 */
function checkRequest(
  rc: RequestContext,
  state: KeyState,
  need: Need,
  options: { admit: boolean; want: number; leaseMs: number; record?: KeyRecord; siblingsOnly?: boolean },
  now: number,
): CheckRequest {
  const { record, admit, want, leaseMs, siblingsOnly } = options;
  return {
    accountId: state.accountId,
    keyId: state.keyId,
    ...(record?.keyVersion !== undefined && { keyVersion: record.keyVersion }),
    ...(record?.accountVersion !== undefined && { accountVersion: record.accountVersion }),
    ...need,
    admit,
    want,
    leaseMs,
    leases: leases().othersToLease(state.accountId, siblingsOnly ? "" : state.keyId, now, rc.config.LEASE_MS),
    ...leases().takeOwed(state.accountId, now),
  };
}

/**
 * Sends a call and takes in its answer (each new lease arms its settlement);
 * if it fails, what it carried is put back for the next call, and it throws.
 */
async function send(rc: RequestContext, state: KeyState, request: CheckRequest, claim?: Claim): Promise<CheckResult> {
  let result: CheckResult;
  try {
    result = claim ? await claimAt(clientOf(rc), request, claim) : await clientOf(rc).check(request);
  } catch (error) {
    leases().restoreOwed(request);
    leases().installOthers(state.accountId, request.leases ?? [], undefined, Date.now());
    throw error;
  }
  const now = Date.now();
  install(state, result, now);
  if (result.outcome === "ok" && result.lease) settleAfterLease(rc, state);
  const asked = request.leases ?? [];
  leases().installOthers(state.accountId, asked, result.others, now);
  for (const { keyId } of asked) {
    const sibling = leases().stateOf(keyId, state.accountId, now);
    if (result.others?.[keyId]?.outcome === "ok" && leaseEnd(sibling) > now) settleAfterLease(rc, sibling);
  }
  return result;
}

/**
 * Sends what the isolate owes the account's gate once its key's last lease
 * has ended, unless a call for the account carried it meanwhile (as the key's
 * next request usually does, SETTLE_DELAY_MS after the lease's end at most).
 * While the account's keys still have demand here, the same call brings the
 * leases they are due (this key's included), so their leases end together
 * and the next call serves them all.
 */
function settleAfterLease(rc: RequestContext, state: KeyState): void {
  const end = leaseEnd(state);
  const delay = Math.max(0, end - Date.now()) + SETTLE_DELAY_MS;
  rc.waitUntil(
    new Promise((resolve) => setTimeout(resolve, delay)).then(async () => {
      const now = Date.now();
      if (leaseEnd(state) > now || !leases().owes(state.accountId)) return;
      const background = { ...rc, stats: newStats() };
      const request = checkRequest(
        background,
        state,
        { scope: "", cost: state.cost },
        { admit: false, want: 0, leaseMs: 0, siblingsOnly: true },
        now,
      );
      // Decides no request and asks no lease of its own: the key's status still voids its leases if refused.
      // A failed call puts back what it carried (send, report): the next call takes it.
      if (request.leases?.length) await send(background, state, request).catch(() => undefined);
      else await report(background, request);
      logBackground(rc.requestId, "report", background.stats);
    }),
  );
}

/** Delivers what a request carries without deciding anything; on failure it is put back. */
async function report(rc: RequestContext, request: CheckRequest): Promise<void> {
  const { accountId, release, report: usage } = request;
  try {
    await clientOf(rc).report({ accountId, release, report: usage });
  } catch {
    leases().restoreOwed(request);
  }
}

/** Fetches the next lease in the background, deciding no request; the answer lands in `state`. */
function refreshAhead(rc: RequestContext, state: KeyState, need: Need, now: number): void {
  const want = leases().leaseWant(state, rc.config.LEASE_MS);
  if (want.want === 0) return;
  state.refreshing = true;
  const request = checkRequest(rc, state, need, { admit: false, ...want }, now);
  rc.waitUntil(
    send(rc, state, request)
      .catch(() => undefined)
      .finally(() => {
        state.refreshing = false;
      }),
  );
}

/** Fail-open: no limits, but what the cached record knows still refuses the request. */
function failOpen(record: KeyRecord, scope: string): LimitHeaders {
  if (keyStatus(record, record.accountDisabled, Date.now()) !== "live") throw invalidKey();
  if (!allows(record.scopes, scope)) throw new ApiError("FORBIDDEN");
  return undefined;
}

const USAGE_OF: Record<"rate_limited" | "quota_exceeded", keyof UsageCounts> = {
  rate_limited: "rateLimited",
  quota_exceeded: "quotaExceeded",
};

/** A 429, thrown with its headers. */
function tooMany(outcome: "rate_limited" | "quota_exceeded", headers: Record<string, string>): ApiError {
  return new ApiError(outcome === "rate_limited" ? "RATE_LIMITED" : "QUOTA_EXCEEDED", undefined, headers);
}

/** The headers for the gate's decision, or its refusal thrown with them (a 429 is remembered until its Retry-After). */
function answer(record: KeyRecord, state: KeyState, result: CheckResult, now: number): LimitHeaders {
  switch (result.outcome) {
    case "unauthorized":
      isolate.refused.add(record);
      throw invalidKey();
    case "forbidden":
      throw new ApiError("FORBIDDEN", undefined, limitHeaders(result.limits, now));
    case "rate_limited":
    case "quota_exceeded": {
      const policy: Refusal = result.outcome === "quota_exceeded" ? "quota" : result.policy;
      const wait = Math.min(retryAfterMs(result.limits, now, policy, result.heldUntil), MAX_BLOCK_MS);
      const { limits, outcome, scopes, heldUntil } = result;
      leases().block(state, { until: now + wait, limits, outcome, policy, scopes, heldUntil });
      throw tooMany(result.outcome, limitHeaders(result.limits, now, policy, result.heldUntil));
    }
    case "ok":
      return limitHeaders(result.limits, now);
  }
}

/** Asks the account's gate (one round trip), taking in any lease it grants; with `claim`, claims its Idempotency-Key too. */
async function askGate(
  rc: RequestContext,
  record: KeyRecord,
  state: KeyState,
  need: Need,
  claim?: Claim,
): Promise<LimitHeaders> {
  const now = Date.now();
  const request = checkRequest(
    rc,
    state,
    need,
    { admit: true, record, ...leases().leaseWant(state, rc.config.LEASE_MS) },
    now,
  );
  let result: CheckResult;
  try {
    result = await send(rc, state, request, claim);
  } catch (error) {
    logWarning("account gate unreachable", { error: String((error as Error).cause ?? error) }, rc.requestId);
    // Without the gate an Idempotency-Key cannot be honoured: fail-open would risk sending it twice.
    if (!rc.config.RATE_LIMIT_FAIL_OPEN || claim) throw error;
    rc.stats.decision = "bypassed";
    return failOpen(record, need.scope);
  }
  if (!claim && (result.outcome === "rate_limited" || result.outcome === "quota_exceeded")) {
    // Tokens this isolate got meanwhile were counted already: spend them rather than strand them.
    const held = leases().fromLease(state, need, Date.now());
    if (held?.outcome === "ok") {
      rc.stats.decision = "lease";
      leases().recordUsage(state, USAGE_OF[result.outcome], now, -1);
      leases().recordUsage(state, "admitted", now);
      return limitHeaders(held.limits, now);
    }
  }
  rc.stats.decision = result.outcome === "ok" ? "allowed" : result.outcome;
  return answer(record, state, result, Date.now());
}

/**
 * Decides a request of `record` to `method /v1/{resource}...`: status, scope,
 * then every limit and the quota. From a lease, or a 429 repeated, the answer
 * is synchronous (no round trip, no await); see MaybePromise. An idempotent
 * request (`claim`) always asks the gate, whose answer lands in `claim.verdict`;
 * only a rate limit's 429 is repeated for it (a repeat may pass an exhausted quota).
 */
export function authorize(
  rc: RequestContext,
  record: KeyRecord,
  method: string,
  resource: string,
  claim?: Claim,
): MaybePromise<LimitHeaders> {
  const now = Date.now();
  const need: Need = { scope: requiredScope(method, resource), cost: costOf(rc.config.ROUTE_COSTS, method, resource) };
  const state = leases().stateOf(record.id, record.accountId, now);
  state.cost = need.cost;
  leases().countDemand(state, now);
  const blocked = leases().blockOf(state, claim ? 0 : need.cost, now);
  if (blocked) {
    rc.stats.decision = "blocked";
    // The contract's order: a request the key may not make is a 403 before any 429.
    if (!allows(blocked.scopes, need.scope)) {
      leases().recordUsage(state, "forbidden", now);
      throw new ApiError("FORBIDDEN", undefined, limitHeaders(blocked.limits, now));
    }
    leases().recordUsage(state, USAGE_OF[blocked.outcome], now);
    throw tooMany(blocked.outcome, limitHeaders(blocked.limits, now, blocked.policy, blocked.heldUntil));
  }
  const local = claim ? null : leases().fromLease(state, need, now);
  if (!local) return askGate(rc, record, state, need, claim);
  rc.stats.decision = "lease";
  if (local.outcome === "forbidden") {
    leases().recordUsage(state, "forbidden", now);
    throw new ApiError("FORBIDDEN", undefined, limitHeaders(local.limits, now));
  }
  leases().recordUsage(state, "admitted", now);
  if (shouldRefresh(state, now)) refreshAhead(rc, state, need, now);
  return limitHeaders(local.limits, now);
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
  leases().recordUsage(leases().stateOf(record.id, record.accountId, now), field, now);
}
