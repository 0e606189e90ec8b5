/**
 * Accounts in D1 (their dashboard users are in users.ts). Disabling an
 * account, or changing its default rate limit, is propagated to every one of
 * its live keys before the call returns. Each write adds its audit entry in
 * its own D1 batch. Setting a webhook URL issues a new signing secret, shown
 * once and stored sealed (webhooks/secret.ts).
 */
import { and, eq, isNull } from "drizzle-orm";
import { type AuditContext, auditInsert } from "../audit/entries";
import type { Config } from "../config";
import { getDb } from "../db/client";
import { type Quota, quotaColumns, type RateLimit, rateLimitColumns, sharedRateLimitColumns } from "../db/limits";
import { type Account, accounts, apiKeys } from "../db/schema";
import { ApiError } from "../errors";
import { GateClient } from "../gate/client";
import { newId } from "../ids";
import { newWebhookSecret, sealSecret } from "../webhooks/secret";
import { webhookUrlProblem } from "../webhooks/url";
import { propagateAccount } from "./propagate";

export interface AccountInput {
  name: string;
  rateLimit?: RateLimit | null;
  sharedRateLimit?: RateLimit | null;
  quota?: Quota | null;
  maxKeys?: number | null;
}

export type AccountChanges = Partial<AccountInput> & {
  disabled?: boolean;
  /** A new URL (with a new secret), or null to stop the account's webhooks. */
  webhookUrl?: string | null;
};

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

export async function createAccount(env: Env, input: AccountInput, by: AuditContext): Promise<Account> {
  const now = new Date();
  const id = newId("acct");
  const db = getDb(env.DB);
  const [[account]] = await db.batch([
    db
      .insert(accounts)
      .values({ id, ...columnsOf(input), name: input.name, createdAt: now, updatedAt: now })
      .returning(),
    auditInsert(db, by, { accountId: id, action: "account.created", target: { type: "account", id } }),
  ]);
  return account as Account;
}

/** The webhook columns for a change of URL, and the new secret to show once (a 400 for a URL not allowed). */
async function webhookColumns(config: Config, accountId: string, url: string | null | undefined) {
  if (url === undefined) return { columns: {}, secret: undefined };
  // A new URL, or none, starts without the overlap of a roll (webhooks/rolling.ts).
  const noPrevious = { previousWebhookSecret: null, previousWebhookSecretExpiresAt: null };
  if (url === null) return { columns: { webhookUrl: null, webhookSecret: null, ...noPrevious }, secret: undefined };
  const problem = webhookUrlProblem(url, config.isDevelopment);
  if (problem) throw new ApiError("BAD_REQUEST", `webhookUrl: ${problem}`);
  const secret = newWebhookSecret();
  const sealed = await sealSecret(config, accountId, secret);
  return { columns: { webhookUrl: url, webhookSecret: sealed, ...noPrevious }, secret };
}

/** This period's quota use, exact as the account's gate knows it now; null without a quota. */
export async function quotaUsage(env: Env, account: Account): Promise<{ used: number; resetAt: number } | null> {
  if (account.quotaLimit === null) return null;
  return new GateClient(env.RATE_LIMITER).quotaUsage(account.id);
}

/** What `updateAccount` needs besides `env`. */
export interface UpdateAccountInput {
  config: Config;
  accountId: string;
  /** The fields to change; undefined ones are left alone. */
  changes: AccountChanges;
  /** Who changes it: `byAdmin(c)`, `byUser(c)` (src/audit/context.ts). */
  by: AuditContext;
}

/**
 * Applies `changes`; a new limit or disabled flag holds for every key of the
 * account once this returns. `webhookSecret` is set when a new webhook URL
 * was: the only time the secret is ever shown.
 */
export async function updateAccount(
  env: Env,
  { config, accountId, changes, by }: UpdateAccountInput,
): Promise<{ account: Account; webhookSecret?: string }> {
  const { webhookUrl, ...limits } = changes;
  // A URL the gateway refuses is the client's mistake whatever the account: 400 before the 404.
  const webhook = await webhookColumns(config, accountId, webhookUrl);
  await getAccount(env, accountId);
  const db = getDb(env.DB);
  // One batch (one transaction): the keys read are those the update applies to.
  const [[account], keys] = await db.batch([
    db
      .update(accounts)
      .set({ ...columnsOf(limits), disabled: limits.disabled, ...webhook.columns, updatedAt: new Date() })
      .where(eq(accounts.id, accountId))
      .returning(),
    db
      .select({ id: apiKeys.id, prefix: apiKeys.prefix })
      .from(apiKeys)
      .where(and(eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAt))),
    auditInsert(db, by, { accountId, action: "account.updated", target: { type: "account", id: accountId } }),
  ]);
  const { name: _name, maxKeys: _maxKeys, ...policy } = limits;
  // Anything the gate decides by (limits, quota, disabled) holds from the next request on.
  if (Object.values(policy).some((value) => value !== undefined)) await propagateAccount(env, accountId, keys);
  return { account: account as Account, ...(webhook.secret && { webhookSecret: webhook.secret }) };
}

/** What `setWebhookUrl` needs besides `env`. */
export interface SetWebhookUrlInput {
  config: Config;
  accountId: string;
  /** The new URL (a new signing secret comes with it), or null to stop the account's webhooks. */
  url: string | null;
  /** Who sets it: `byAdmin(c)`, `byUser(c)` (src/audit/context.ts). */
  by: AuditContext;
}

/** Sets (or with null, removes) the account's webhook URL; the new secret is returned, shown only now. */
export function setWebhookUrl(
  env: Env,
  { config, accountId, url, by }: SetWebhookUrlInput,
): Promise<{ account: Account; webhookSecret?: string }> {
  return updateAccount(env, { config, accountId, changes: { webhookUrl: url }, by });
}
