/**
 * Reading a key's record from D1: its identity (id, account, secret hash), its
 * status when read and the versions of its policies, in one query joining
 * the account, by the key's public prefix: the edge lookup's last layer.
 */
import { eq, type SQL } from "drizzle-orm";
import type { Database } from "../db/client";
import { accounts, apiKeys } from "../db/schema";
import type { KeyMode } from "./mode";

/** The cached lookup record: the key's identity and secret hash, and its status and versions when read. */
export interface KeyRecord {
  id: string;
  accountId: string;
  prefix: string;
  secretHash: string;
  pepperVersion: number;
  /**
   * The key's status and scopes as of when the record was read. Only a
   * revocation (final) and the fail-open mode (RATE_LIMIT_FAIL_OPEN) decide
   * by them: the account gate decides live.
   */
  scopes: string[];
  /** Epoch ms, or null for no expiry. */
  expiresAt: number | null;
  revoked: boolean;
  accountDisabled: boolean;
  /**
   * The key's and its account's row versions (`updated_at`, epoch ms), told
   * to the gate, which reads a newer one (absent in records cached before
   * versions existed).
   */
  keyVersion?: number;
  accountVersion?: number;
  /**
   * The key's mode, which never changes: where its requests go and what they
   * say they are (proxy/). Absent in records cached before modes existed: live.
   */
  mode?: KeyMode;
  /**
   * Its restrictions as of when the record was read (absent: none). The gate
   * decides by its live policy; these say whether a sending request's body
   * must be read before asking it (restrictions/inspection.ts), and decide
   * in fail-open mode.
   */
  allowedIps?: string[] | null;
  allowedSenderDomains?: string[] | null;
}

/** An isolate's cache entry for a prefix: the record (null: D1 has none) and the secret once verified. */
export interface CacheEntry {
  record: KeyRecord | null;
  /** The secret already verified against `record`, held in memory only. */
  verified?: string;
}

async function selectRecord(db: Database, where: SQL): Promise<KeyRecord | null> {
  const rows = await db
    .select({
      key: apiKeys,
      accountDisabled: accounts.disabled,
      accountUpdatedAt: accounts.updatedAt,
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
    keyVersion: key.updatedAt.getTime(),
    accountVersion: row.accountUpdatedAt.getTime(),
    mode: key.mode,
    allowedIps: key.allowedIps,
    allowedSenderDomains: key.allowedSenderDomains,
  };
}

/** The record of the key with this public prefix, or null if there is none. */
export function findRecordByPrefix(db: Database, prefix: string): Promise<KeyRecord | null> {
  return selectRecord(db, eq(apiKeys.prefix, prefix));
}
