/**
 * Making an admin change hold at the edge before the API answers: for each
 * affected key, drop its cached record (this isolate and KV) and have its
 * Durable Object reload the key's status from D1. The object answers only
 * once no lease granted under the old status is still live, so when this
 * resolves the change holds in every location.
 */
import { ApiError } from "../errors";
import { forgetKey } from "../keys/lookup";

const CONCURRENCY = 25;

export interface KeyRef {
  id: string;
  prefix: string;
}

async function inBatches<T>(items: T[], run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += CONCURRENCY) {
    await Promise.all(items.slice(i, i + CONCURRENCY).map(run));
  }
}

function unavailable(error: unknown): ApiError {
  return new ApiError(
    "SERVICE_UNAVAILABLE",
    "The change was saved but could not be applied at the edge yet; retry the request",
    {},
    { cause: error },
  );
}

/** Reloads the status of each key everywhere; throws 503 if any could not be told (a retry is safe). */
export async function propagate(env: Env, keys: KeyRef[]): Promise<void> {
  try {
    await inBatches(keys, async (key) => {
      await forgetKey(env, key.prefix);
      await env.RATE_LIMITER.getByName(key.id).refresh(key.id);
    });
  } catch (error) {
    throw unavailable(error);
  }
}

/** Revokes a key at its Durable Object (before D1 is written: failing safe) and drops its cached record. */
export async function revokeAtEdge(env: Env, key: KeyRef): Promise<void> {
  try {
    await env.RATE_LIMITER.getByName(key.id).revoke();
  } catch (error) {
    throw new ApiError("SERVICE_UNAVAILABLE", undefined, {}, { cause: error });
  }
}

/** Caps a key's expiry at its Durable Object (before D1 is written: failing safe). */
export async function expireAtEdge(env: Env, key: KeyRef, at: Date): Promise<void> {
  try {
    await env.RATE_LIMITER.getByName(key.id).expireBy(at.getTime());
  } catch (error) {
    throw new ApiError("SERVICE_UNAVAILABLE", undefined, {}, { cause: error });
  }
}

/**
 * Drops cached records once the change is safe in D1 and at the key's object:
 * a failure here only leaves a stale cache entry the object overrides, so it
 * is logged, not answered.
 */
export async function forgetKeys(env: Env, prefixes: string[]): Promise<void> {
  const results = await Promise.allSettled(prefixes.map((prefix) => forgetKey(env, prefix)));
  for (const result of results) {
    if (result.status === "rejected") {
      console.warn(JSON.stringify({ message: "cache purge failed", error: String(result.reason) }));
    }
  }
}
