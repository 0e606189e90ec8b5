/**
 * GitHub's secret-scanning public keys, from GITHUB_SECRET_SCANNING_KEYS_URL
 * (`{"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}`),
 * cached in KV for an hour. A report signed with a key identifier the cached
 * list does not name makes the gateway fetch the list again (GitHub rotates
 * its keys), but the list is fetched at most once a minute whatever arrives,
 * a failed fetch included: the time of the last attempt is kept in KV beside
 * the list, so forged identifiers, or a list that cannot be fetched, never
 * turn the gateway into a load generator against GitHub. Identifiers are
 * looked up as own properties only: `constructor` or `__proto__` name no key.
 */
import type { Config } from "../config";
import { logWarning } from "../log";

/** The cached list: PEM by key identifier, when it was fetched, and when a fetch was last tried. */
interface KeySet {
  keys: Record<string, string>;
  /** When `keys` was fetched (0: never). */
  fetchedAt: number;
  /** When a fetch was last tried, whether it worked or not. */
  triedAt: number;
}

export const KEYS_CACHE_KEY = "github:secret-scanning-keys";
/** How long a fetched list is used. */
export const KEYS_TTL_MS = 3_600_000;
/** The least time between two fetches of the list, whatever arrives and whether the last one worked. */
export const REFETCH_AFTER_MS = 60_000;
const FETCH_TIMEOUT_MS = 5_000;

/** The PEM of `keyId` in `keys`, if the list names it (own properties only, never Object.prototype's). */
const pemOf = (keys: Record<string, string>, keyId: string) =>
  Object.hasOwn(keys, keyId) && typeof keys[keyId] === "string" ? keys[keyId] : null;

async function fetchKeys(url: string): Promise<Record<string, string>> {
  const response = await fetch(url, {
    headers: { Accept: "application/json", "User-Agent": "MoMail-Gateway" },
    signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
  });
  if (!response.ok) throw new Error(`GitHub public keys: HTTP ${response.status}`);
  const body = (await response.json()) as { public_keys?: Array<{ key_identifier?: unknown; key?: unknown }> };
  // No prototype: an identifier spelled `__proto__` is stored as a name like any other.
  const keys = Object.create(null) as Record<string, string>;
  for (const entry of body.public_keys ?? []) {
    if (typeof entry.key_identifier === "string" && typeof entry.key === "string") {
      keys[entry.key_identifier] = entry.key;
    }
  }
  return keys;
}

async function cached(env: Env): Promise<KeySet | null> {
  try {
    const set = await env.KEYS_CACHE.get<Partial<KeySet>>(KEYS_CACHE_KEY, "json");
    if (!set || typeof set.keys !== "object" || set.keys === null) return null;
    const fetchedAt = set.fetchedAt ?? 0;
    return { keys: set.keys, fetchedAt, triedAt: Math.max(set.triedAt ?? 0, fetchedAt) };
  } catch (error) {
    logWarning("KV read failed", { error: String(error) });
    return null;
  }
}

async function store(env: Env, set: KeySet): Promise<void> {
  try {
    await env.KEYS_CACHE.put(KEYS_CACHE_KEY, JSON.stringify(set), { expirationTtl: KEYS_TTL_MS / 1000 });
  } catch (error) {
    logWarning("KV write failed", { error: String(error) });
  }
}

/**
 * The PEM of GitHub's key `keyId`, or null if GitHub does not list it.
 * Throws when no list fetched within the hour is at hand and none can be
 * fetched now (it failed, or was tried less than a minute ago): the caller
 * answers 503, and GitHub retries.
 */
export async function githubPublicKey(env: Env, config: Config, keyId: string): Promise<string | null> {
  const set = await cached(env);
  const now = Date.now();
  const fresh = set !== null && now - set.fetchedAt < KEYS_TTL_MS;
  const known = fresh ? pemOf(set.keys, keyId) : null;
  if (known !== null) return known;
  if (set && now - set.triedAt < REFETCH_AFTER_MS) {
    if (fresh) return null;
    throw new Error("GitHub public keys: the last fetch failed less than a minute ago");
  }
  let keys: Record<string, string>;
  try {
    keys = await fetchKeys(config.GITHUB_SECRET_SCANNING_KEYS_URL);
  } catch (error) {
    // Remembered, so that nothing arriving in the next minute fetches again; a list still fresh stays in use.
    await store(env, { keys: set?.keys ?? {}, fetchedAt: set?.fetchedAt ?? 0, triedAt: now });
    if (fresh) return null;
    throw error;
  }
  await store(env, { keys, fetchedAt: now, triedAt: now });
  return pemOf(keys, keyId);
}
