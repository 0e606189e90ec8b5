/**
 * The isolate's side of the per-key Durable Object: one `check` round trip
 * per request, or none while the isolate holds a lease of tokens for a hot
 * key. If the object cannot be reached the gateway fails closed (503), or,
 * with RATE_LIMIT_FAIL_OPEN=true, lets the request through without a rate
 * limit while still refusing what the cached record knows to be revoked,
 * expired, disabled or out of scope.
 */
import type { Config } from "../config";
import { ApiError } from "../errors";
import { LruCache } from "../keys/lru";
import type { KeyRecord } from "../keys/records";
import { allows } from "../keys/scopes";
import type { RequestStats } from "../stats";
import type { CheckRequest, CheckResult, Lease, Quota } from "./protocol";

export type Decision = CheckResult | { outcome: "bypassed" };

interface HeldLease extends Lease {
  quota: Quota;
}

const MAX_KEYS = 10_000;
const leases = new LruCache<HeldLease>(MAX_KEYS);
/** Requests per key in this isolate, in the current and the previous second. */
const demand = new LruCache<{ second: number; current: number; previous: number }>(MAX_KEYS);

/** Extra tokens worth asking for: what this isolate served for the key in the last full second, over a lease. */
function leaseWant(keyId: string, now: number, leaseMs: number): number {
  const second = Math.floor(now / 1000);
  let seen = demand.get(keyId, now);
  if (!seen || seen.second < second - 1) seen = { second, current: 0, previous: 0 };
  else if (seen.second === second - 1) seen = { second, current: 0, previous: seen.current };
  seen.current++;
  demand.set(keyId, seen, 2_000, now);
  return Math.floor((seen.previous * leaseMs) / 1000);
}

/** Spends a token of a live lease, if there is one; null means the object must be asked. */
function fromLease(lease: HeldLease | undefined, scope: string, now: number): Decision | null {
  if (!lease || now >= lease.expiresAt) return null;
  if (!allows(lease.scopes, scope)) return { outcome: "forbidden", quota: lease.quota };
  if (lease.tokens < 1) return null;
  lease.tokens--;
  return { outcome: "ok", quota: { ...lease.quota, remaining: lease.quota.remaining + lease.tokens } };
}

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

/** Fail-open: no rate limit, but what the cached record knows still refuses the request. */
function failOpen(record: KeyRecord, scope: string): Decision {
  const expired = record.expiresAt !== null && Date.now() >= record.expiresAt;
  if (record.revoked || record.accountDisabled || expired) return { outcome: "unauthorized" };
  if (!allows(record.scopes, scope)) return { outcome: "forbidden" };
  return { outcome: "bypassed" };
}

/** Decides a request for `record` needing `scope`: status, then scope, then rate limit. */
export async function admit(
  env: Env,
  config: Config,
  record: KeyRecord,
  scope: string,
  stats: RequestStats,
): Promise<Decision> {
  const now = Date.now();
  const want = config.LEASE_MS > 0 ? leaseWant(record.id, now, config.LEASE_MS) : 0;
  const held = leases.get(record.id, now);
  const local = fromLease(held, scope, now);
  if (local) {
    stats.rateLimit = local.outcome === "ok" ? "lease" : undefined;
    return local;
  }
  const request: CheckRequest = { keyId: record.id, scope, want };
  if (held && held.tokens > 0) request.release = { bucket: held.bucket, count: held.tokens };
  leases.delete(record.id);

  let result: CheckResult;
  try {
    result = await callObject(env, request, stats);
  } catch (error) {
    console.error(JSON.stringify({ message: "rate limiter unreachable", keyId: record.id, error: String(error) }));
    if (!config.RATE_LIMIT_FAIL_OPEN) throw new ApiError("SERVICE_UNAVAILABLE", undefined, {}, { cause: error });
    stats.rateLimit = "bypassed";
    return failOpen(record, scope);
  }
  if (result.outcome === "ok") {
    stats.rateLimit = "allowed";
    if (result.lease)
      leases.set(record.id, { ...result.lease, quota: result.quota }, result.lease.expiresAt - now, now);
  } else if (result.outcome === "limited") {
    stats.rateLimit = "limited";
  }
  return result;
}
