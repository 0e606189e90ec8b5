/**
 * Accounts in D1 (their dashboard users are in users.ts). Disabling an
 * account, or changing its default rate limit, is propagated to every one of
 * its live keys before the call returns.
 */
import { and, eq, isNull } from "drizzle-orm";
import { getDb } from "../db/client";
import type { RateLimit } from "../db/limits";
import { type Account, accounts, apiKeys } from "../db/schema";
import { ApiError } from "../errors";
import { newId } from "../ids";
import { propagateAccount } from "./propagate";

export interface AccountChanges {
  name?: string;
  rateLimit?: RateLimit | null;
  disabled?: boolean;
}

/** The account, or a 404 ApiError. */
export async function getAccount(env: Env, accountId: string): Promise<Account> {
  const account = await getDb(env.DB).query.accounts.findFirst({ where: eq(accounts.id, accountId) });
  if (!account) throw new ApiError("NOT_FOUND", "Account not found");
  return account;
}

export async function createAccount(env: Env, input: { name: string; rateLimit?: RateLimit | null }): Promise<Account> {
  const now = new Date();
  const [account] = await getDb(env.DB)
    .insert(accounts)
    .values({
      id: newId("acct"),
      name: input.name,
      rateLimitLimit: input.rateLimit?.limit ?? null,
      rateLimitWindowSeconds: input.rateLimit?.windowSeconds ?? null,
      createdAt: now,
      updatedAt: now,
    })
    .returning();
  return account as Account;
}

/** Applies `changes`; a new limit or disabled flag holds for every key of the account once this returns. */
export async function updateAccount(env: Env, accountId: string, changes: AccountChanges): Promise<Account> {
  await getAccount(env, accountId);
  const db = getDb(env.DB);
  // One batch (one transaction): the keys read are those the update applies to.
  const [[account], keys] = await db.batch([
    db
      .update(accounts)
      .set({
        name: changes.name,
        ...(changes.rateLimit !== undefined && {
          rateLimitLimit: changes.rateLimit?.limit ?? null,
          rateLimitWindowSeconds: changes.rateLimit?.windowSeconds ?? null,
        }),
        disabled: changes.disabled,
        updatedAt: new Date(),
      })
      .where(eq(accounts.id, accountId))
      .returning(),
    db
      .select({ id: apiKeys.id, prefix: apiKeys.prefix })
      .from(apiKeys)
      .where(and(eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAt))),
  ]);
  if (changes.rateLimit !== undefined || changes.disabled !== undefined) await propagateAccount(env, accountId, keys);
  return account as Account;
}
