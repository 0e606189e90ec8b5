/**
 * Making an admin change hold at the edge before the API answers: drop the
 * affected keys' cached records (this isolate and KV) and have the account's
 * gate reload the status from D1. The gate answers only once no lease granted
 * under the old status is still live, so when these resolve the change holds
 * in every location. Revocation and a rotation's shorter expiry are told to
 * the gate before D1 is written, so a failure part-way fails safe.
 */
import { serviceUnavailable } from "../errors";
import { forgetKey } from "../keys/lookup";
import { logWarning } from "../log";

export interface KeyRef {
  id: string;
  accountId: string;
  prefix: string;
}

const gateOf = (env: Env, accountId: string) => env.RATE_LIMITER.getByName(accountId);

function notApplied(error: unknown) {
  return serviceUnavailable(error, "The change was saved but could not be applied at the edge yet; retry the request");
}

/** Reloads each key's status everywhere; throws 503 if any could not be told (a retry is safe). */
export async function propagate(env: Env, keys: KeyRef[]): Promise<void> {
  try {
    await Promise.all(
      keys.map(async (key) => {
        await forgetKey(env, key.prefix);
        await gateOf(env, key.accountId).refreshKey(key.id);
      }),
    );
  } catch (error) {
    throw notApplied(error);
  }
}

/** Reloads an account's policy (limits, quota, disabled) at its gate, and drops its keys' cached records. */
export async function propagateAccount(env: Env, accountId: string, keys: Array<{ prefix: string }>): Promise<void> {
  try {
    await Promise.all(keys.map((key) => forgetKey(env, key.prefix)));
    await gateOf(env, accountId).refreshAccount(accountId);
  } catch (error) {
    throw notApplied(error);
  }
}

/** Revokes a key at its account's gate (before D1 is written: failing safe). */
export async function revokeAtEdge(env: Env, key: KeyRef): Promise<void> {
  try {
    await gateOf(env, key.accountId).revokeKey(key.id);
  } catch (error) {
    throw serviceUnavailable(error);
  }
}

/**
 * Makes a key expire `graceMs` from now at the latest (a rotation), at its
 * account's gate before D1 is written (failing safe); returns the expiry the
 * gate set, which D1 must then record.
 */
export async function expireAtEdge(env: Env, key: KeyRef & { expiresAt: Date | null }, graceMs: number): Promise<Date> {
  try {
    const at = await gateOf(env, key.accountId).expireKeyIn(key.id, graceMs);
    return new Date(key.expiresAt ? Math.min(key.expiresAt.getTime(), at) : at);
  } catch (error) {
    throw serviceUnavailable(error);
  }
}

/** What the account's gate holds that D1 does not have yet (recent usage, last uses), or null if it cannot say. */
export async function liveUsage(env: Env, accountId: string) {
  try {
    return await gateOf(env, accountId).live();
  } catch (error) {
    logWarning("account gate unreachable for a read", { error: String(error) });
    return null;
  }
}

/**
 * Drops cached records once the change is safe in D1 and at the gate: a
 * failure here only leaves a stale cache entry the gate overrides, so it is
 * logged, not answered.
 */
export async function forgetKeys(env: Env, prefixes: string[]): Promise<void> {
  const results = await Promise.allSettled(prefixes.map((prefix) => forgetKey(env, prefix)));
  for (const result of results) {
    if (result.status === "rejected") {
      logWarning("cache purge failed", { error: String(result.reason) });
    }
  }
}
