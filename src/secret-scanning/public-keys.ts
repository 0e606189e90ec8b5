/**
 * GitHub's secret-scanning public keys, from GITHUB_SECRET_SCANNING_KEYS_URL
 * (`{"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}`),
 * cached in KV for an hour. A report signed with a key identifier the cache
 * does not hold makes the gateway fetch the list again (GitHub rotates its
 * keys), but never more than once a minute, so forged identifiers cannot
 * turn the gateway into a load generator against GitHub.
 */
import type { Config } from "../config";
import { logWarning } from "../log";

/** The cached list: PEM by key identifier, and when it was fetched. */
interface KeySet {
  keys: Record<string, string>;
  fetchedAt: number;
}

export const KEYS_CACHE_KEY = "github:secret-scanning-keys";
/** How long a fetched list is used. */
export const KEYS_TTL_MS = 3_600_000;
/** The least time between two fetches when an identifier is unknown. */
export const REFETCH_AFTER_MS = 60_000;
const FETCH_TIMEOUT_MS = 5_000;

async function fetchKeySet(url: string): Promise<KeySet> {
  const response = await fetch(url, {
    headers: { Accept: "application/json", "User-Agent": "MoMail-Gateway" },
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`GitHub public keys: HTTP ${response.status}`);
  const body = (await response.json()) as { public_keys?: Array<{ key_identifier?: unknown; key?: unknown }> };
  const keys: Record<string, string> = {};
  for (const entry of body.public_keys ?? []) {
    if (typeof entry.key_identifier === "string" && typeof entry.key === "string") {
      keys[entry.key_identifier] = entry.key;
    }
  }
  return { keys, fetchedAt: Date.now() };
}

async function cached(env: Env): Promise<KeySet | null> {
  try {
    const set = await env.KEYS_CACHE.get<KeySet>(KEYS_CACHE_KEY, "json");
    return set && Date.now() - set.fetchedAt < KEYS_TTL_MS ? set : null;
  } catch (error) {
    logWarning("KV read failed", { error: String(error) });
    return null;
  }
}

/**
 * The PEM of GitHub's key `keyId`, or null if GitHub does not list it.
 * Throws when the list cannot be fetched and none is cached (the caller
 * answers 503; GitHub retries).
 */
export async function githubPublicKey(env: Env, config: Config, keyId: string): Promise<string | null> {
  const set = await cached(env);
  if (set?.keys[keyId]) return set.keys[keyId];
  if (set && Date.now() - set.fetchedAt < REFETCH_AFTER_MS) return null;
  const fresh = await fetchKeySet(config.GITHUB_SECRET_SCANNING_KEYS_URL);
  try {
    await env.KEYS_CACHE.put(KEYS_CACHE_KEY, JSON.stringify(fresh), { expirationTtl: KEYS_TTL_MS / 1000 });
  } catch (error) {
    logWarning("KV write failed", { error: String(error) });
  }
  return fresh.keys[keyId] ?? null;
}
