/**
 * Reading a key's record from D1: its identity (id, account, secret hash) and
 * its policy (status, scopes, effective rate limit), in one query joining the
 * account, by the key's public prefix: the edge lookup's last layer.
 */
import { eq, type SQL } from "drizzle-orm";
import type { Database } from "../db/client";
import { type RateLimit, rateLimitOf } from "../db/limits";
import { accounts, apiKeys } from "../db/schema";

/**
 * The key's status as of when the record was read. Only the fail-open mode
 * (RATE_LIMIT_FAIL_OPEN) ever decides by it: the account gate decides live.
 */
export interface KeyStatus {
  id: string;
  accountId: string;
  scopes: string[];
  /** Epoch ms, or null for no expiry. */
  expiresAt: number | null;
  revoked: boolean;
  accountDisabled: boolean;
  /** The key's own limit, else its account's; null means the gateway default. */
  rateLimit: RateLimit | null;
}

/** The cached lookup record: the key's identity and secret hash, and its status when read. */
export interface KeyRecord extends KeyStatus {
  prefix: string;
  secretHash: string;
  pepperVersion: number;
}

async function selectRecord(db: Database, where: SQL): Promise<KeyRecord | null> {
  const rows = await db
    .select({
      key: apiKeys,
      accountDisabled: accounts.disabled,
      accountLimit: accounts.rateLimitLimit,
      accountWindow: accounts.rateLimitWindowSeconds,
    })
    .from(apiKeys)
    .innerJoin(accounts, eq(accounts.id, apiKeys.accountId))
    .where(where)
    .limit(1);
  const row = rows[0];
  if (!row) return null;
  const { key } = row;
  return {
    id: key.id,
    accountId: key.accountId,
    prefix: key.prefix,
    secretHash: key.secretHash,
    pepperVersion: key.pepperVersion,
    scopes: key.scopes,
    expiresAt: key.expiresAt?.getTime() ?? null,
    revoked: key.revokedAt != null,
    accountDisabled: row.accountDisabled,
    rateLimit:
      rateLimitOf(key.rateLimitLimit, key.rateLimitWindowSeconds) ?? rateLimitOf(row.accountLimit, row.accountWindow),
  };
}

/** The record of the key with this public prefix, or null if there is none. */
export function findRecordByPrefix(db: Database, prefix: string): Promise<KeyRecord | null> {
  return selectRecord(db, eq(apiKeys.prefix, prefix));
}
