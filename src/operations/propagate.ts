/**
 * Making an admin change hold at the edge before the API answers: drop the
 * affected keys' cached records (this isolate and KV) and the 429s this
 * isolate repeats for them, and have the account's gate read the policy from
 * D1 again. The gate client (gate/client.ts)
 * returns only once no lease granted under the old policy is still live, so
 * when these resolve the change holds in every location. Revocation and a
 * rotation's shorter expiry are told to the gate before D1 is written, so a
 * failure part-way fails safe.
 */
import { serviceUnavailable } from "../errors";
import { GateClient } from "../gate/client";
import { isolate } from "../isolate";
import { forgetKey } from "../keys/lookup";
import { logWarning } from "../log";

export interface KeyRef {
  id: string;
  accountId: string;
  prefix: string;
}

/** The 503 of a change saved in D1 that the gate could not be told of yet. */
const NOT_APPLIED = "The change was saved but could not be applied at the edge yet; retry the request";

const gate = (env: Env, unavailable?: string) => new GateClient(env.RATE_LIMITER, { unavailable });

/** Reloads each key's status everywhere; throws 503 if any could not be told (a retry is safe). */
export async function propagate(env: Env, keys: KeyRef[]): Promise<void> {
  await Promise.all(
    keys.map(async (key) => {
      await forgetKey(env, key.prefix).catch(notApplied);
      isolate.leases.unblock(key.accountId, key.id);
      await gate(env, NOT_APPLIED).refreshKey(key.accountId, key.id);
    }),
  );
}

/** Reloads an account's policy (limits, quota, disabled) at its gate, and drops its keys' cached records. */
export async function propagateAccount(env: Env, accountId: string, keys: Array<{ prefix: string }>): Promise<void> {
  await Promise.all(keys.map((key) => forgetKey(env, key.prefix))).catch(notApplied);
  isolate.leases.unblock(accountId);
  await gate(env, NOT_APPLIED).refreshAccount(accountId);
}

/** Revokes a key at its account's gate (before D1 is written: failing safe). */
export function revokeAtEdge(env: Env, key: KeyRef): Promise<void> {
  return gate(env).revokeKey(key.accountId, key.id);
}

/**
 * A rotation at its account's gate before D1 is written (failing safe): the
 * key expires `graceMs` from now at the latest and `successorId` shares its
 * rate-limit budget; returns the expiry D1 must then record.
 */
export async function expireAtEdge(
  env: Env,
  key: KeyRef & { expiresAt: Date | null },
  graceMs: number,
  successorId: string,
): Promise<Date> {
  const at = await gate(env).expireKeyIn(key.accountId, key.id, graceMs, successorId);
  return new Date(key.expiresAt ? Math.min(key.expiresAt.getTime(), at) : at);
}

/**
 * What the account's gate holds that D1 does not have yet (recent usage,
 * last uses), after handing it what this isolate owes; null if it cannot
 * say (a key list then shows D1's last uses).
 */
export async function liveUsage(env: Env, accountId: string) {
  try {
    return await gate(env).live(accountId, isolate.leases);
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

/** A KV purge that failed before the gate was told: the same 503 as the gate's, so a retry completes it. */
function notApplied(error: unknown): never {
  throw serviceUnavailable(error, NOT_APPLIED);
}
