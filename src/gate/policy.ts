/**
 * What the account gate decides by: the account's policy (disabled, its keys'
 * default limit, the shared limit, the quota) and each key's (status, scopes,
 * expiry, own limit, mode and restrictions), read from D1, the source of truth, in one query per key.
 * Each policy carries its version (the row's `updated_at`): a gate reads a
 * policy again when an admin change tells it to, or when a request names a
 * newer version than the one it holds (see PolicyBook).
 */
import { eq } from "drizzle-orm";
import type { Database } from "../db/client";
import { type Quota, quotaOf, type RateLimit, rateLimitOf } from "../db/limits";
import { type Account, type ApiKey, accounts, apiKeys } from "../db/schema";
import type { KeyMode } from "../keys/mode";

export interface AccountPolicy {
  id: string;
  disabled: boolean;
  /** The limit of keys without their own; null: DEFAULT_RATE_LIMIT. */
  keyDefault: RateLimit | null;
  shared: RateLimit | null;
  quota: Quota | null;
  /** The row's `updated_at` (epoch ms) when read. */
  version: number;
}

export interface KeyPolicy {
  id: string;
  accountId: string;
  scopes: string[];
  /** Epoch ms, or null for no expiry. */
  expiresAt: number | null;
  revoked: boolean;
  /** The key's own limit; null: its account's default. */
  rateLimit: RateLimit | null;
  /**
   * Its mode and restrictions (CONTRACT §8; restrictions/decide.ts reads
   * them). Absent in policies stored before they existed: live, unrestricted,
   * as every key was then.
   */
  mode?: KeyMode;
  /** Canonical addresses and ranges it may be used from; null: any. */
  allowedIps?: string[] | null;
  /** Canonical domains it may send from; null: any. */
  allowedSenderDomains?: string[] | null;
  /** The row's `updated_at` (epoch ms) when read. */
  version: number;
}

/** The gate's view of an account row. */
export function accountPolicyOf(account: Account): AccountPolicy {
  return {
    id: account.id,
    disabled: account.disabled,
    keyDefault: rateLimitOf(account.rateLimitLimit, account.rateLimitWindowSeconds),
    shared: rateLimitOf(account.sharedRateLimitLimit, account.sharedRateLimitWindowSeconds),
    quota: quotaOf(account.quotaLimit, account.quotaPeriod),
    version: account.updatedAt.getTime(),
  };
}

/** The gate's view of a key row. */
export function keyPolicyOf(key: ApiKey): KeyPolicy {
  return {
    id: key.id,
    accountId: key.accountId,
    scopes: key.scopes,
    expiresAt: key.expiresAt?.getTime() ?? null,
    revoked: key.revokedAt != null,
    rateLimit: rateLimitOf(key.rateLimitLimit, key.rateLimitWindowSeconds),
    mode: key.mode,
    allowedIps: key.allowedIps,
    allowedSenderDomains: key.allowedSenderDomains,
    version: key.updatedAt.getTime(),
  };
}

/** The account's policy, or null if there is no such account. */
export async function loadAccount(db: Database, accountId: string): Promise<AccountPolicy | null> {
  const account = await db.query.accounts.findFirst({ where: eq(accounts.id, accountId) });
  return account ? accountPolicyOf(account) : null;
}

/** A key's policy with its account's, or null if there is no such key. */
export async function loadKey(db: Database, keyId: string): Promise<{ key: KeyPolicy; account: AccountPolicy } | null> {
  const [row] = await db
    .select({ key: apiKeys, account: accounts })
    .from(apiKeys)
    .innerJoin(accounts, eq(accounts.id, apiKeys.accountId))
    .where(eq(apiKeys.id, keyId))
    .limit(1);
  return row ? { key: keyPolicyOf(row.key), account: accountPolicyOf(row.account) } : null;
}
