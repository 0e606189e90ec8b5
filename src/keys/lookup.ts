/**
 * Finding and verifying a presented key. The record is looked up by its
 * public prefix in three layers: the isolate's cache (no I/O), then Workers KV
 * `KEYS_CACHE`, then D1, the source of truth; each miss fills the layers
 * above it. Only keys that passed the forged-key check (issue.ts) get here,
 * so a prefix D1 does not know is rare (a key being created right now): it is
 * cached negatively in this isolate only, briefly and bounded, never in KV,
 * where a miss would otherwise cost a write. The secret is then
 * verified against the stored HMAC in constant time, once per isolate: a
 * verified secret is remembered beside the record so the warm path hashes
 * nothing.
 *
 * The cached record is never trusted for the key's status: the account's
 * gate decides that (gate/authorize.ts); only a revocation it records is final.
 */

import type { RequestContext } from "../context";
import { hmacHex, timingSafeEqual } from "../crypto";
import { getDb } from "../db/client";
import { TIMED_OUT, withDeadline } from "../deadline";
import { serviceUnavailable } from "../errors";
import { isolate } from "../isolate";
import { logWarning } from "../log";
import { type CacheEntry, findRecordByPrefix, type KeyRecord } from "./records";

/** How long this isolate keeps a key record: it is an identity (the gate decides status), purged on admin changes. */
export const ISOLATE_TTL_MS = 300_000;
/** How long this isolate remembers that D1 has no key with a prefix. */
export const NEGATIVE_TTL_MS = 10_000;

export const kvKey = (prefix: string) => `key:${prefix}`;

/** KV's answer, or null if it fails or does not answer within KV_READ_TIMEOUT_MS: KV is only a cache, D1 answers then. */
async function readKv({ env, config, stats }: RequestContext, prefix: string): Promise<KeyRecord | null> {
  stats.kvReads++;
  try {
    const cached = await withDeadline(
      env.KEYS_CACHE.get<KeyRecord | { missing: true }>(kvKey(prefix), "json"),
      config.KV_READ_TIMEOUT_MS,
    );
    // Negative entries written by earlier versions are ignored: D1 answers.
    return cached && !("missing" in cached) ? cached : null;
  } catch (error) {
    logWarning("KV read failed", {
      error: error === TIMED_OUT ? `no answer in ${config.KV_READ_TIMEOUT_MS} ms` : String(error),
    });
    return null;
  }
}

async function readD1({ env, stats }: RequestContext, prefix: string): Promise<KeyRecord | null> {
  stats.d1Queries++;
  try {
    return await findRecordByPrefix(getDb(env.DB), prefix);
  } catch (error) {
    throw serviceUnavailable(error);
  }
}

/** The isolate's cache entry for a prefix, if it has one: no I/O at all. */
export function cachedEntry(prefix: string, stats: { cache?: string }): CacheEntry | undefined {
  const cached = isolate.records.get(prefix);
  if (cached) stats.cache = "isolate";
  return cached;
}

/**
 * The cache entry for a prefix: from the isolate, else KV, else D1.
 * `waitUntil` keeps cache fills off the response's critical path.
 */
export async function lookupKey(rc: RequestContext, prefix: string): Promise<CacheEntry> {
  const cached = cachedEntry(prefix, rc.stats);
  if (cached) return cached;
  let record = await readKv(rc, prefix);
  if (record) {
    rc.stats.cache = "kv";
  } else {
    rc.stats.cache = "d1";
    record = await readD1(rc, prefix);
    if (record) {
      const value = JSON.stringify(record);
      rc.stats.kvWrites++;
      rc.waitUntil(
        rc.env.KEYS_CACHE.put(kvKey(prefix), value, { expirationTtl: rc.config.KEY_CACHE_TTL_SECONDS }).catch(
          (error: unknown) => logWarning("KV write failed", { error: String(error) }),
        ),
      );
    }
  }
  const entry: CacheEntry = { record };
  // Spread over the last fifth of the TTL: keys first seen together (a deploy, a burst) are not all read again at once.
  isolate.records.set(prefix, entry, record ? ISOLATE_TTL_MS - Math.random() * (ISOLATE_TTL_MS / 5) : NEGATIVE_TTL_MS);
  return entry;
}

/** Whether `secret` is the entry's key secret, if that is known without hashing (undefined: it is not). */
export function verifiedBefore(entry: CacheEntry, secret: string): boolean | undefined {
  if (!entry.record) return false;
  return entry.verified === undefined ? undefined : timingSafeEqual(entry.verified, secret);
}

/** Whether `secret` is the entry's key secret; a match is remembered for the isolate's lifetime of the entry. */
export async function verifySecret(
  config: RequestContext["config"],
  entry: CacheEntry,
  secret: string,
): Promise<boolean> {
  const known = verifiedBefore(entry, secret);
  if (known !== undefined) return known;
  const record = entry.record as KeyRecord;
  const pepper = config.peppers.get(record.pepperVersion);
  if (pepper === undefined) return false;
  const ok = timingSafeEqual(await hmacHex(pepper, secret), record.secretHash);
  if (ok) entry.verified = secret;
  return ok;
}

/** Drops a prefix from this isolate's cache and from KV, after an admin change. */
export async function forgetKey(env: Env, prefix: string): Promise<void> {
  isolate.records.delete(prefix);
  await env.KEYS_CACHE.delete(kvKey(prefix));
}
