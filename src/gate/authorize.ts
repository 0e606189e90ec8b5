/**
 * The data plane's side of the account gate: decides a verified key's
 * request in the contract's order (401 status, 403 scope, 403 client IP or
 * sender domain, 429 key limit, 429 account limit, 429 quota) with one round
 * trip to the account's gate,
 * or with none: from a lease for a busy key (whose successor is fetched
 * ahead in the background), or by repeating a 429 until its Retry-After.
 * Returns the rate-limit headers every response to the request carries;
 * refusals are thrown as the documented errors, with those headers. A key
 * the gate refuses with 401 is refused in this isolate without asking again
 * until its record is read again (keys/check.ts).
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
import { isolate } from "../isolate";
import { invalidKey } from "../keys/check";
import { quotaCost } from "../keys/mode";
import type { KeyRecord } from "../keys/records";
import { requiredScope } from "../keys/scopes";
import { keyStatus } from "../keys/status";
import { logBackground, logWarning } from "../log";
import {
  type Forbidden,
  forbidden,
  type KeyRules,
  type RequestFacts,
  refusal,
  restrictionsOf,
} from "../restrictions/decide";
import type { RequestInspection } from "../restrictions/inspection";
import { newStats } from "../stats";
import { GateClient } from "./client";
import { costOf } from "./costs";
import { limitHeaders, type Refusal, retryAfterMs } from "./headers";
import { heldRules, install, type KeyState, leaseEnd, MAX_BLOCK_MS, shouldRefresh } from "./leases";
import type { CheckRequest, CheckResult, UsageCounts } from "./protocol";

type LimitHeaders = Record<string, string> | undefined;

/** How long after a lease's end its settlement waits for a call that would carry it anyway. */
const SETTLE_DELAY_MS = 500;

/** What a request needs from the gate: a scope, quota units, and what the key's restrictions are decided on. */
type Need = RequestFacts & { cost: number };

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
async function send(rc: RequestContext, state: KeyState, request: CheckRequest): Promise<CheckResult> {
  let result: CheckResult;
  try {
    result = await clientOf(rc).check(request);
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

/**
 * A 403 decided here by `rules` (a 429 repeated, the record), or undefined.
 * Senders they need were read before deciding (authorize): if they are
 * still missing, the body could not be checked, and why is the answer.
 */
function localRefusal(rules: KeyRules, need: Need, inspection?: RequestInspection): Forbidden | undefined {
  const refused = refusal(rules, need);
  if (refused !== "needs_senders") return refused;
  throw inspection?.unreadable ?? forbidden("sender");
}

/** Fail-open: no limits, but what the cached record knows still refuses the request. */
function failOpen(record: KeyRecord, need: Need, inspection?: RequestInspection): LimitHeaders {
  if (keyStatus(record, record.accountDisabled, Date.now()) !== "live") throw invalidKey();
  const refused = localRefusal(record, need, inspection);
  if (refused) throw forbidden(refused);
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
      throw forbidden(result.reason, limitHeaders(result.limits, now));
    case "needs_senders":
      // Only a caller without the request's body gets here (askGate reads it and asks again).
      throw forbidden("sender");
    case "rate_limited":
    case "quota_exceeded": {
      const policy: Refusal = result.outcome === "quota_exceeded" ? "quota" : result.policy;
      const wait = Math.min(retryAfterMs(result.limits, now, policy, result.heldUntil), MAX_BLOCK_MS);
      const { limits, outcome, scopes, heldUntil } = result;
      const rules = restrictionsOf(result);
      leases().block(state, { until: now + wait, limits, outcome, policy, scopes, ...rules, heldUntil });
      throw tooMany(result.outcome, limitHeaders(result.limits, now, policy, result.heldUntil));
    }
    case "ok":
      return limitHeaders(result.limits, now);
  }
}

/** Asks the account's gate (one round trip), taking in any lease it grants. */
async function askGate(
  rc: RequestContext,
  record: KeyRecord,
  state: KeyState,
  need: Need,
  inspection?: RequestInspection,
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
    result = await send(rc, state, request);
  } catch (error) {
    logWarning("account gate unreachable", { error: String((error as Error).cause ?? error) }, rc.requestId);
    if (!rc.config.RATE_LIMIT_FAIL_OPEN) throw error;
    rc.stats.decision = "bypassed";
    return failOpen(record, need, inspection);
  }
  if (result.outcome === "needs_senders" && inspection) {
    // The key's live policy restricts senders where its record did not (a PATCH since): read them, ask again.
    return askGate(rc, record, state, { ...need, senders: await inspection.sendersOrThrow() }, inspection);
  }
  if (result.outcome === "rate_limited" || result.outcome === "quota_exceeded") {
    // Tokens this isolate got meanwhile were counted already: spend them rather than strand them.
    const held = leases().fromLease(state, need, Date.now());
    if (held?.outcome === "ok") {
      rc.stats.decision = "lease";
      leases().recordUsage(state, USAGE_OF[result.outcome], now, -1);
      leases().recordUsage(state, "admitted", now);
      return limitHeaders(held.limits, now);
    }
  }
  rc.stats.decision =
    result.outcome === "ok" ? "allowed" : result.outcome === "needs_senders" ? "forbidden" : result.outcome;
  return answer(record, state, result, Date.now());
}

/**
 * Decides a request of `record` to `method /v1/{resource}...`: status, scope,
 * restrictions, then every limit and the quota. From a lease, or a 429
 * repeated, the answer is synchronous (no round trip, no await); see
 * MaybePromise. `inspection`: what the request shows the key's restrictions
 * (without one, as for a caller that has no request, none of its facts are known).
 */
export function authorize(
  rc: RequestContext,
  record: KeyRecord,
  method: string,
  resource: string,
  inspection?: RequestInspection,
): MaybePromise<LimitHeaders> {
  const now = Date.now();
  // A test key's requests cost the quota nothing (keys/mode.ts); they count against the rate limits as any.
  const cost = quotaCost(record.mode, costOf(rc.config.ROUTE_COSTS, method, resource));
  const need: Need = { scope: requiredScope(method, resource), cost, ...inspection?.facts() };
  const state = leases().stateOf(record.id, record.accountId, now);
  // A sending request of a key restricted to senders (its record, lease or 429 says so): the body is read first, once.
  if (inspection?.wants(record, heldRules(state))) {
    return inspection.read().then(() => authorize(rc, record, method, resource, inspection));
  }
  state.cost = need.cost;
  leases().countDemand(state, now);
  const blocked = leases().blockOf(state, need.cost, now);
  if (blocked) {
    rc.stats.decision = "blocked";
    // The contract's order: a request the key may not make is a 403 before any 429; by the key's own 429's
    // policy, or by its record when the 429 is its account's (that one carries another key's policy).
    const refused = localRefusal(blocked === state.blocked ? blocked : record, need, inspection);
    if (refused) {
      leases().recordUsage(state, "forbidden", now);
      throw forbidden(refused, limitHeaders(blocked.limits, now));
    }
    leases().recordUsage(state, USAGE_OF[blocked.outcome], now);
    throw tooMany(blocked.outcome, limitHeaders(blocked.limits, now, blocked.policy, blocked.heldUntil));
  }
  const local = leases().fromLease(state, need, now);
  if (!local) return askGate(rc, record, state, need, inspection);
  rc.stats.decision = "lease";
  if (local.outcome === "forbidden") {
    leases().recordUsage(state, "forbidden", now);
    throw forbidden(local.reason, limitHeaders(local.limits, now));
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
