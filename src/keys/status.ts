/**
 * Whether a key is live: the one rule, used by the account gate (which
 * decides), the isolate (which refuses what its cached record already knows
 * is dead, and decides alone in fail-open mode), the admin API and the
 * dashboard (which list and count keys). A key is live when it is not
 * revoked, not past its expiry, and its account exists and is enabled;
 * `liveKeySql` is the same rule for D1, where the key cap counts live keys.
 */
import { and, gt, isNull, or, type SQL } from "drizzle-orm";
import { apiKeys } from "../db/schema";

/** Why a key is refused, or `live`. Every status but `live` answers the one 401 body. */
export type KeyStatus = "live" | "unknown" | "revoked" | "expired" | "disabled";

/** What the rule reads of a key: its revocation and its expiry (epoch ms, null for none). */
export interface StatusOfKey {
  revoked: boolean;
  expiresAt: number | null;
}

/**
 * The key's status at `now`. `key` null means no such key; `accountDisabled`
 * null means no such account (both `unknown`).
 */
export function keyStatus(key: StatusOfKey | null, accountDisabled: boolean | null, now: number): KeyStatus {
  if (!key || accountDisabled === null) return "unknown";
  if (key.revoked) return "revoked";
  if (key.expiresAt !== null && now >= key.expiresAt) return "expired";
  return accountDisabled ? "disabled" : "live";
}

/** The same rule over `api_keys` for the key itself (its account is checked apart): not revoked, not expired at `now`. */
export function liveKeySql(now: Date): SQL {
  return and(isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now))) as SQL;
}
