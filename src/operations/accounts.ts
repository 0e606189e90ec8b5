/**
 * Accounts in D1 (their dashboard users are in users.ts). Disabling an
 * account, or changing its default rate limit, is propagated to every one of
 * its live keys before the call returns.
 */
import { and, eq, isNull } from "drizzle-orm";
import { getDb } from "../db/client";
import { type Quota, quotaColumns, type RateLimit, rateLimitColumns, sharedRateLimitColumns } from "../db/limits";
import { type Account, accounts, apiKeys } from "../db/schema";
import { ApiError, serviceUnavailable } from "../errors";
import { newId } from "../ids";
import { propagateAccount } from "./propagate";

export interface AccountInput {
  name: string;
  rateLimit?: RateLimit | null;
  sharedRateLimit?: RateLimit | null;
  quota?: Quota | null;
  maxKeys?: number | null;
}

export type AccountChanges = Partial<AccountInput> & { disabled?: boolean };

/** The account, or a 404 ApiError. */
export async function getAccount(env: Env, accountId: string): Promise<Account> {
  const account = await getDb(env.DB).query.accounts.findFirst({ where: eq(accounts.id, accountId) });
  if (!account) throw new ApiError("NOT_FOUND", "Account not found");
  return account;
}

/** The columns an account's input sets (undefined fields leave theirs alone). */
function columnsOf(input: Partial<AccountInput>) {
  return {
    name: input.name,
    ...rateLimitColumns(input.rateLimit),
    ...sharedRateLimitColumns(input.sharedRateLimit),
    ...quotaColumns(input.quota),
    maxKeys: input.maxKeys,
  };
}

export async function createAccount(env: Env, input: AccountInput): Promise<Account> {
  const now = new Date();
  const [account] = await getDb(env.DB)
    .insert(accounts)
    .values({ id: newId("acct"), ...columnsOf(input), name: input.name, createdAt: now, updatedAt: now })
    .returning();
  return account as Account;
}

/** This period's quota use, exact as the account's gate knows it now; null without a quota. */
export async function quotaUsage(env: Env, account: Account): Promise<{ used: number; resetAt: number } | null> {
  if (account.quotaLimit === null) return null;
  try {
    return await env.RATE_LIMITER.getByName(account.id).quotaUsage(account.id);
  } catch (error) {
    throw serviceUnavailable(error);
  }
}

/** Applies `changes`; a new limit or disabled flag holds for every key of the account once this returns. */
export async function updateAccount(env: Env, accountId: string, changes: AccountChanges): Promise<Account> {
  await getAccount(env, accountId);
  const db = getDb(env.DB);
  // One batch (one transaction): the keys read are those the update applies to.
  const [[account], keys] = await db.batch([
    db
      .update(accounts)
      .set({ ...columnsOf(changes), disabled: changes.disabled, updatedAt: new Date() })
      .where(eq(accounts.id, accountId))
      .returning(),
    db
      .select({ id: apiKeys.id, prefix: apiKeys.prefix })
      .from(apiKeys)
      .where(and(eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAt))),
  ]);
  const { name: _name, maxKeys: _maxKeys, ...policy } = changes;
  // Anything the gate decides by (limits, quota, disabled) holds from the next request on.
  if (Object.values(policy).some((value) => value !== undefined)) await propagateAccount(env, accountId, keys);
  return account as Account;
}
