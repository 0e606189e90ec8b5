/**
 * The isolate's side of the account gate (gate/object.ts): decides a verified
 * key's request in the contract's order (401 status, 403 scope, 429 key
 * limit, 429 account limit, 429 quota) with one round trip to the account's
 * gate, or with none while the isolate holds a lease for a busy key, whose
 * successor is fetched ahead in the background. Returns the rate-limit
 * headers every response to the request carries; refusals are thrown as the
 * documented errors, with those headers.
 *
 * If the gate cannot be reached the gateway fails closed (503), or, with
 * RATE_LIMIT_FAIL_OPEN=true, lets the request through without limits while
 * still refusing what the cached record knows to be revoked, expired,
 * disabled or out of scope.
 */
import type { MaybePromise, RequestContext } from "../context";
import { ApiError, serviceUnavailable } from "../errors";
import { invalidKey } from "../keys/check";
import type { KeyRecord } from "../keys/records";
import { allows, requiredScope } from "../keys/scopes";
import { logBackground, logWarning } from "../log";
import { costOf } from "./costs";
import { limitHeaders } from "./headers";
import {
  countDemand,
  fromLease,
  install,
  installOthers,
  type KeyState,
  leaseEnd,
  leaseWant,
  othersToLease,
  owes,
  recordUsage,
  restoreOwed,
  shouldRefresh,
  stateOf,
  takeOwed,
} from "./lease";
import type { AccountGate } from "./object";
import type { CheckRequest, CheckResult, UsageCounts } from "./protocol";

type LimitHeaders = Record<string, string> | undefined;

/** How long after a lease's end its settlement waits for a call that would carry it anyway. */
const SETTLE_DELAY_MS = 500;

/** What a request needs from the gate: a scope, and quota units. */
interface Need {
  scope: string;
  cost: number;
}

function isRetryable(error: unknown): boolean {
  const flags = error as { retryable?: boolean; overloaded?: boolean } | null;
  return flags?.retryable === true && flags.overloaded !== true;
}

/** One call to the account's gate, retried once, and only for errors the runtime marks as safe to retry. */
async function callGate<T>(
  rc: RequestContext,
  accountId: string,
  call: (gate: DurableObjectStub<AccountGate>) => Promise<unknown>,
): Promise<T> {
  rc.stats.objectCalls++;
  try {
    return (await call(rc.env.RATE_LIMITER.getByName(accountId))) as T;
  } catch (error) {
    if (!isRetryable(error)) throw error;
    rc.stats.objectCalls++;
    return (await call(rc.env.RATE_LIMITER.getByName(accountId))) as T;
  }
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
  rc.waitUntil(
    new Promise((resolve) => setTimeout(resolve, Math.max(0, end - Date.now()) + SETTLE_DELAY_MS)).then(async () => {
      const now = Date.now();
      if (leaseEnd(state) > now || !owes(state.accountId)) return;
      const leases = othersToLease(state.accountId, "", now, rc.config.LEASE_MS);
      const owed = takeOwed(state.accountId, now);
      const background = { ...rc, stats: { ...rc.stats, kvReads: 0, d1Queries: 0, objectCalls: 0 } };
      try {
        if (leases.length === 0) {
          await callGate<void>(background, state.accountId, (gate) =>
            gate.report({ accountId: state.accountId, ...owed }),
          );
        } else {
          // Decides no request and asks no lease of its own: the key's status still voids its leases if refused.
          const request: CheckRequest = {
            accountId: state.accountId,
            keyId: state.keyId,
            scope: "",
            cost: state.cost,
            admit: false,
            want: 0,
            leaseMs: 0,
            leases,
            ...owed,
          };
          const result = await callGate<CheckResult>(background, state.accountId, (gate) => gate.check(request));
          installResult(rc, state, request, result);
        }
      } catch {
        restoreOwed(owed);
        installOthers(state.accountId, leases, undefined, Date.now());
      }
      logBackground(rc.requestId, "report", background.stats);
    }),
  );
}

/** Takes in the gate's answer for a key and its siblings (each new lease arms its settlement). */
function installResult(rc: RequestContext, state: KeyState, request: CheckRequest, result: CheckResult): void {
  const now = Date.now();
  install(state, result, now);
  if (result.outcome === "ok" && result.lease) settleAfterLease(rc, state);
  const asked = request.leases ?? [];
  if (asked.length === 0) return;
  installOthers(state.accountId, asked, result.others, now);
  for (const { keyId } of asked) {
    const sibling = stateOf(keyId, state.accountId, now);
    if (result.others?.[keyId]?.outcome === "ok" && leaseEnd(sibling) > now) settleAfterLease(rc, sibling);
  }
}

/** Leases for the account's other keys, to ask for in a call about `state`'s key. */
const siblingsOf = (rc: RequestContext, state: KeyState, now: number) =>
  othersToLease(state.accountId, state.keyId, now, rc.config.LEASE_MS);

/** Fetches the next lease in the background, deciding no request; the answer lands in `state`. */
function refreshAhead(rc: RequestContext, state: KeyState, need: Need, now: number): void {
  const { want, leaseMs } = leaseWant(state, rc.config.LEASE_MS);
  if (want === 0) return;
  state.refreshing = true;
  const request: CheckRequest = {
    accountId: state.accountId,
    keyId: state.keyId,
    ...need,
    admit: false,
    want,
    leaseMs,
    leases: siblingsOf(rc, state, now),
    ...takeOwed(state.accountId, now),
  };
  rc.waitUntil(
    callGate<CheckResult>(rc, state.accountId, (gate) => gate.check(request))
      .then((result) => installResult(rc, state, request, result))
      .catch(() => {
        restoreOwed(request);
        installOthers(state.accountId, request.leases ?? [], undefined, Date.now());
      })
      .finally(() => {
        state.refreshing = false;
      }),
  );
}

/** Fail-open: no limits, but what the cached record knows still refuses the request. */
function failOpen(record: KeyRecord, scope: string): LimitHeaders {
  const expired = record.expiresAt !== null && Date.now() >= record.expiresAt;
  if (record.revoked || record.accountDisabled || expired) throw invalidKey();
  if (!allows(record.scopes, scope)) throw new ApiError("FORBIDDEN");
  return undefined;
}

/** The headers for the gate's decision, or its refusal thrown with them. */
function answer(result: CheckResult, now: number): LimitHeaders {
  switch (result.outcome) {
    case "unauthorized":
      throw invalidKey();
    case "forbidden":
      throw new ApiError("FORBIDDEN", undefined, limitHeaders(result.limits, now));
    case "rate_limited":
      throw new ApiError("RATE_LIMITED", undefined, limitHeaders(result.limits, now, result.policy));
    case "quota_exceeded":
      throw new ApiError("QUOTA_EXCEEDED", undefined, limitHeaders(result.limits, now, "quota"));
    case "ok":
      return limitHeaders(result.limits, now);
  }
}

/** Asks the account's gate (one round trip), taking in any lease it grants. */
async function askGate(rc: RequestContext, record: KeyRecord, state: KeyState, need: Need): Promise<LimitHeaders> {
  const now = Date.now();
  const request: CheckRequest = {
    accountId: record.accountId,
    keyId: record.id,
    ...need,
    admit: true,
    ...leaseWant(state, rc.config.LEASE_MS),
    leases: siblingsOf(rc, state, now),
    ...takeOwed(record.accountId, now),
  };
  let result: CheckResult;
  try {
    result = await callGate<CheckResult>(rc, record.accountId, (gate) => gate.check(request));
  } catch (error) {
    restoreOwed(request);
    installOthers(record.accountId, request.leases ?? [], undefined, Date.now());
    logWarning("account gate unreachable", { error: String(error) }, rc.requestId);
    if (!rc.config.RATE_LIMIT_FAIL_OPEN) throw serviceUnavailable(error);
    rc.stats.decision = "bypassed";
    return failOpen(record, need.scope);
  }
  installResult(rc, state, request, result);
  if (result.outcome === "rate_limited" || result.outcome === "quota_exceeded") {
    // Tokens this isolate got meanwhile were counted already: spend them rather than strand them.
    const held = fromLease(state, need, Date.now());
    if (held?.outcome === "ok") {
      rc.stats.decision = "lease";
      recordUsage(state, result.outcome === "rate_limited" ? "rateLimited" : "quotaExceeded", now, -1);
      recordUsage(state, "admitted", now);
      return limitHeaders(held.limits, now);
    }
  }
  rc.stats.decision = result.outcome === "ok" ? "allowed" : result.outcome;
  return answer(result, Date.now());
}

/**
 * Decides a request of `record` to `method /v1/{resource}...`: status, scope,
 * then every limit and the quota. From a lease the answer is synchronous (no
 * round trip, no await); see MaybePromise.
 */
export function authorize(
  rc: RequestContext,
  record: KeyRecord,
  method: string,
  resource: string,
): MaybePromise<LimitHeaders> {
  const now = Date.now();
  const need: Need = { scope: requiredScope(method, resource), cost: costOf(rc.config.ROUTE_COSTS, method, resource) };
  const state = stateOf(record.id, record.accountId, now);
  state.cost = need.cost;
  countDemand(state, now);
  const local = fromLease(state, need, now);
  if (!local) return askGate(rc, record, state, need);
  rc.stats.decision = "lease";
  if (local.outcome === "forbidden") {
    recordUsage(state, "forbidden", now);
    throw new ApiError("FORBIDDEN", undefined, limitHeaders(local.limits, now));
  }
  recordUsage(state, "admitted", now);
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
  recordUsage(stateOf(record.id, record.accountId, now), field, now);
}
