/**
 * The isolate's side of the per-key Durable Object: one `check` round trip
 * per request, or none while the isolate holds a lease for a hot key (see
 * lease.ts), whose successor is fetched ahead in the background. If the
 * object cannot be reached the gateway fails closed (503), or, with
 * RATE_LIMIT_FAIL_OPEN=true, lets the request through without a rate limit
 * while still refusing what the cached record knows to be revoked, expired,
 * disabled or out of scope.
 */
import type { Config } from "../config";
import { ApiError } from "../errors";
import type { KeyRecord } from "../keys/records";
import { allows } from "../keys/scopes";
import type { RequestStats } from "../stats";
import { fromLease, install, type KeyState, leaseWant, shouldRefresh, stateOf, takeUnused } from "./lease";
import type { CheckRequest, CheckResult } from "./protocol";

export type Decision = CheckResult | { outcome: "bypassed" };

function isRetryable(error: unknown): boolean {
  const flags = error as { retryable?: boolean; overloaded?: boolean } | null;
  return flags?.retryable === true && flags.overloaded !== true;
}

async function callObject(env: Env, request: CheckRequest, stats: RequestStats): Promise<CheckResult> {
  stats.objectCalls++;
  try {
    return await env.RATE_LIMITER.getByName(request.keyId).check(request);
  } catch (error) {
    // One retry, and only for errors the runtime marks as safe to retry (never when overloaded).
    if (!isRetryable(error)) throw error;
    stats.objectCalls++;
    return await env.RATE_LIMITER.getByName(request.keyId).check(request);
  }
}

/** Fetches the next lease in the background, without admitting anything; the answer lands in `state`. */
function refreshAhead(
  env: Env,
  state: KeyState,
  keyId: string,
  want: number,
  stats: RequestStats,
  waitUntil: (p: Promise<unknown>) => void,
) {
  state.refreshing = true;
  const request: CheckRequest = { keyId, scope: "*", want, admit: false, release: takeUnused(state, Date.now()) };
  waitUntil(
    callObject(env, request, stats)
      .then((result) => install(state, result))
      .catch(() => undefined)
      .finally(() => {
        state.refreshing = false;
      }),
  );
}

/** Fail-open: no rate limit, but what the cached record knows still refuses the request. */
function failOpen(record: KeyRecord, scope: string): Decision {
  const expired = record.expiresAt !== null && Date.now() >= record.expiresAt;
  if (record.revoked || record.accountDisabled || expired) return { outcome: "unauthorized" };
  if (!allows(record.scopes, scope)) return { outcome: "forbidden" };
  return { outcome: "bypassed" };
}

/** Asks the key's object (one round trip), taking in any lease it grants. */
async function askObject(
  env: Env,
  config: Config,
  record: KeyRecord,
  scope: string,
  want: number,
  state: KeyState,
  stats: RequestStats,
): Promise<Decision> {
  let result: CheckResult;
  try {
    result = await callObject(env, { keyId: record.id, scope, want, release: takeUnused(state, Date.now()) }, stats);
  } catch (error) {
    console.error(JSON.stringify({ message: "rate limiter unreachable", keyId: record.id, error: String(error) }));
    if (!config.RATE_LIMIT_FAIL_OPEN) throw new ApiError("SERVICE_UNAVAILABLE", undefined, {}, { cause: error });
    stats.rateLimit = "bypassed";
    return failOpen(record, scope);
  }
  install(state, result);
  if (result.outcome === "limited") {
    // Tokens this isolate holds were counted already: spend them rather than strand them.
    const held = fromLease(state, scope, Date.now());
    if (held?.outcome === "ok") {
      stats.rateLimit = "lease";
      return held;
    }
  }
  stats.rateLimit = result.outcome === "ok" ? "allowed" : result.outcome === "limited" ? "limited" : undefined;
  return result;
}

/**
 * Decides a request for `record` needing `scope`: status, then scope, then
 * rate limit. From a lease the answer is synchronous (no round trip, no await).
 */
export function admit(
  env: Env,
  config: Config,
  record: KeyRecord,
  scope: string,
  stats: RequestStats,
  waitUntil: (promise: Promise<unknown>) => void,
): Decision | Promise<Decision> {
  const now = Date.now();
  const state = stateOf(record.id, now);
  const want = config.LEASE_MS > 0 ? leaseWant(state, now, config.LEASE_MS) : 0;
  const local = fromLease(state, scope, now);
  if (!local) return askObject(env, config, record, scope, want, state, stats);
  if (local.outcome === "ok") {
    stats.rateLimit = "lease";
    if (want > 0 && shouldRefresh(state, now, config.LEASE_MS))
      refreshAhead(env, state, record.id, want, stats, waitUntil);
  }
  return local;
}
