/**
 * Reading a key's record from D1: its identity (id, account, secret hash) and
 * its policy (status, scopes, effective rate limit), in one query joining the
 * account. Both the edge lookup (by prefix) and the key's Durable Object (by
 * id) read through here.
 */
import { eq, type SQL } from "drizzle-orm";
import type { Database } from "../db/client";
import { accounts, apiKeys } from "../db/schema";

export interface RateLimit {
  limit: number;
  windowSeconds: number;
}

/** What decides whether a request with this key may pass. */
export interface KeyPolicy {
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

/** The cached lookup record: the policy as of when it was read, plus the secret hash. */
export interface KeyRecord extends KeyPolicy {
  prefix: string;
  secretHash: string;
  pepperVersion: number;
}

function pickLimit(limit: number | null, windowSeconds: number | null): RateLimit | null {
  return limit != null && windowSeconds != null ? { limit, windowSeconds } : null;
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
      pickLimit(key.rateLimitLimit, key.rateLimitWindowSeconds) ?? pickLimit(row.accountLimit, row.accountWindow),
  };
}

/** The record of the key with this public prefix, or null if there is none. */
export function findRecordByPrefix(db: Database, prefix: string): Promise<KeyRecord | null> {
  return selectRecord(db, eq(apiKeys.prefix, prefix));
}

/** The record of the key with this id, or null if there is none. */
export function findRecordById(db: Database, id: string): Promise<KeyRecord | null> {
  return selectRecord(db, eq(apiKeys.id, id));
}
