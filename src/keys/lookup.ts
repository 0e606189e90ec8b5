/**
 * Finding and verifying a presented key. The record is looked up by its
 * public prefix in three layers: the in-isolate LRU (no I/O), then Workers KV
 * `KEYS_CACHE`, then D1, the source of truth; each miss fills the layers
 * above it. Unknown prefixes are cached negatively in both caches, so a flood
 * of the same well-formed junk key stops at the isolate. The secret is then
 * verified against the stored HMAC in constant time, once per isolate: a
 * verified secret is remembered beside the record so the warm path hashes
 * nothing.
 *
 * The cached record is never trusted for the key's status: the key's
 * Durable Object decides that on every request (see limiter/).
 */

import type { Config } from "../config";
import { hmacHex, timingSafeEqual } from "../crypto";
import { getDb } from "../db/client";
import { ApiError } from "../errors";
import type { RequestStats } from "../stats";
import { LruCache } from "./lru";
import { findRecordByPrefix, type KeyRecord } from "./records";

export const ISOLATE_TTL_MS = 60_000;
export const ISOLATE_MAX_ENTRIES = 10_000;
/** KV's minimum expirationTtl, used for negative entries. */
export const NEGATIVE_TTL_SECONDS = 60;

interface CacheEntry {
  record: KeyRecord | null;
  /** The secret already verified against `record`, held in memory only. */
  verified?: string;
}

type KvEntry = KeyRecord | { missing: true };

export const isolateCache = new LruCache<CacheEntry>(ISOLATE_MAX_ENTRIES);

export const kvKey = (prefix: string) => `key:${prefix}`;

/** KV's answer, or null if it fails or does not answer within KV_READ_TIMEOUT_MS: KV is only a cache, D1 answers then. */
async function readKv(env: Env, config: Config, prefix: string, stats: RequestStats): Promise<KvEntry | null> {
  stats.kvReads++;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer in ${config.KV_READ_TIMEOUT_MS} ms`)),
      config.KV_READ_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([env.KEYS_CACHE.get<KvEntry>(kvKey(prefix), "json"), timeout]);
  } catch (error) {
    console.warn(JSON.stringify({ message: "KV read failed", error: String(error) }));
    return null;
  } finally {
    clearTimeout(timer);
  }
}

async function readD1(env: Env, prefix: string, stats: RequestStats): Promise<KeyRecord | null> {
  stats.d1Queries++;
  try {
    return await findRecordByPrefix(getDb(env.DB), prefix);
  } catch (error) {
    throw new ApiError("SERVICE_UNAVAILABLE", undefined, {}, { cause: error });
  }
}

/** The isolate's cache entry for a prefix, if it has one: no I/O at all. */
export function cachedEntry(prefix: string, stats: RequestStats): CacheEntry | undefined {
  const cached = isolateCache.get(prefix);
  if (cached) stats.cache = "isolate";
  return cached;
}

/**
 * The cache entry for a prefix: from the isolate, else KV, else D1.
 * `waitUntil` keeps cache fills off the response's critical path.
 */
export async function lookupKey(
  env: Env,
  config: Config,
  prefix: string,
  stats: RequestStats,
  waitUntil: (promise: Promise<unknown>) => void,
): Promise<CacheEntry> {
  const cached = cachedEntry(prefix, stats);
  if (cached) return cached;
  let record: KeyRecord | null;
  const fromKv = await readKv(env, config, prefix, stats);
  if (fromKv) {
    stats.cache = "kv";
    record = "missing" in fromKv ? null : fromKv;
  } else {
    stats.cache = "d1";
    record = await readD1(env, prefix, stats);
    const ttl = record ? config.KEY_CACHE_TTL_SECONDS : NEGATIVE_TTL_SECONDS;
    const value: KvEntry = record ?? { missing: true };
    waitUntil(
      env.KEYS_CACHE.put(kvKey(prefix), JSON.stringify(value), { expirationTtl: ttl }).catch((error: unknown) => {
        console.warn(JSON.stringify({ message: "KV write failed", error: String(error) }));
      }),
    );
  }
  const entry: CacheEntry = { record };
  isolateCache.set(prefix, entry, record ? ISOLATE_TTL_MS : NEGATIVE_TTL_SECONDS * 1000);
  return entry;
}

/** Whether `secret` is the entry's key secret, if that is known without hashing (undefined: it is not). */
export function verifiedBefore(entry: CacheEntry, secret: string): boolean | undefined {
  if (!entry.record) return false;
  return entry.verified === undefined ? undefined : timingSafeEqual(entry.verified, secret);
}

/** Whether `secret` is the entry's key secret; a match is remembered for the isolate's lifetime of the entry. */
export async function verifySecret(config: Config, entry: CacheEntry, secret: string): Promise<boolean> {
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
  isolateCache.delete(prefix);
  await env.KEYS_CACHE.delete(kvKey(prefix));
}
