/**
 * Rolling an account's webhook signing secret without downtime (CONTRACT
 * §4, §7). A roll issues a new secret, shown once, and keeps the one it
 * replaces as the previous secret for PREVIOUS_SECRET_TTL_MS (24 hours):
 * until then every delivery is signed with both (two `v1` values in each
 * header, the new one first), so a receiver verifies whichever secret it
 * holds while its configuration is changed; then the previous one is no
 * longer used, and the cron job clears it from storage. Rolling again
 * within the 24 hours replaces the previous secret: only the last two ever
 * sign. Setting a new webhook URL (PATCH) issues a new secret with no
 * overlap and clears the previous one.
 *
 * The write and its `webhook.secret_rolled` audit entry are one D1 batch
 * under one condition (the account still has a webhook), so the entry
 * exists exactly when the secret changed. The secret is never in the entry,
 * a log line or a listing: only the sealed text is stored.
 */
import { and, eq, isNotNull, lte, sql } from "drizzle-orm";
import { type AuditContext, auditInsertIf } from "../audit/entries";
import type { Config } from "../config";
import { getDb } from "../db/client";
import { type Account, accounts } from "../db/schema";
import { ApiError } from "../errors";
import { getAccount } from "../operations/accounts";
import { wrote } from "./outbox";
import { newWebhookSecret, openSecret, sealSecret } from "./secret";

/** How long the secret a roll replaced keeps signing beside the new one. */
export const PREVIOUS_SECRET_TTL_MS = 24 * 3_600_000;

export const NO_WEBHOOK_MESSAGE =
  "This account has no webhook URL, so it has no signing secret to roll: set a webhookUrl first (PATCH /admin/accounts/{accountId}), which issues one";

export interface RollWebhookSecretInput {
  env: Env;
  config: Config;
  accountId: string;
  /** Who rolls it: `byAdmin(c)`, `byUser(c)` (src/audit/context.ts). */
  by: AuditContext;
  /** The time of the roll, epoch ms (default now); the previous secret signs until 24 hours after it. */
  now?: number;
}

export interface RolledWebhookSecret {
  /** The new secret: show it once, never store or log it. */
  webhookSecret: string;
  /** Until when the replaced secret still signs beside the new one. */
  previousSecretExpiresAt: Date;
}

/**
 * Rolls the account's webhook signing secret. A 404 ApiError for an unknown
 * account, a 409 (`CONFLICT`, NO_WEBHOOK_MESSAGE) for one without a webhook
 * URL; otherwise one `webhook.secret_rolled` audit entry, by `by`.
 */
export async function rollWebhookSecret(input: RollWebhookSecretInput): Promise<RolledWebhookSecret> {
  const { env, config, accountId, by } = input;
  const now = input.now ?? Date.now();
  const account = await getAccount(env, accountId);
  if (account.webhookUrl === null || account.webhookSecret === null) throw new ApiError("CONFLICT", NO_WEBHOOK_MESSAGE);
  const webhookSecret = newWebhookSecret();
  const sealed = await sealSecret(config, accountId, webhookSecret);
  const previousSecretExpiresAt = new Date(now + PREVIOUS_SECRET_TTL_MS);
  const hooked = and(eq(accounts.id, accountId), isNotNull(accounts.webhookUrl), isNotNull(accounts.webhookSecret));
  const db = getDb(env.DB);
  const [, updated] = await db.batch([
    auditInsertIf(db, {
      by,
      entry: { accountId, action: "webhook.secret_rolled", target: { type: "account", id: accountId } },
      from: accounts,
      where: hooked,
    }),
    // SQLite evaluates every SET expression on the row as it was: the current secret becomes the previous one.
    db
      .update(accounts)
      .set({
        previousWebhookSecret: sql`${accounts.webhookSecret}`,
        previousWebhookSecretExpiresAt: previousSecretExpiresAt,
        webhookSecret: sealed,
        updatedAt: new Date(now),
      })
      .where(hooked),
  ]);
  // The webhook was removed between the read and the batch: nothing changed, no entry was written.
  if (!wrote(updated)) throw new ApiError("CONFLICT", NO_WEBHOOK_MESSAGE);
  return { webhookSecret, previousSecretExpiresAt };
}

/** Whether the previous secret still signs as of `now` (epoch ms): until its expiry, exclusive. */
export function previousSecretInForce(expiresAt: Date | null, now: number): boolean {
  return expiresAt !== null && now < expiresAt.getTime();
}

/**
 * The secrets that sign the account's deliveries as of `now`, newest first:
 * the current one, and the previous one within its 24 hours. Empty when the
 * current one cannot be opened (sealed under a pepper no longer configured);
 * a previous one that cannot be opened is left out.
 */
export async function signingSecrets(
  config: Config,
  account: Pick<Account, "id" | "webhookSecret" | "previousWebhookSecret" | "previousWebhookSecretExpiresAt">,
  now: number,
): Promise<string[]> {
  if (account.webhookSecret === null) return [];
  const current = await openSecret(config, account.id, account.webhookSecret);
  if (current === null) return [];
  if (account.previousWebhookSecret === null || !previousSecretInForce(account.previousWebhookSecretExpiresAt, now)) {
    return [current];
  }
  const previous = await openSecret(config, account.id, account.previousWebhookSecret);
  return previous === null ? [current] : [current, previous];
}

/** Clears the previous secrets whose 24 hours are over as of `now` (the cron job); returns how many. */
export async function forgetRolledSecrets(env: Env, now: number): Promise<number> {
  const result = await getDb(env.DB)
    .update(accounts)
    .set({ previousWebhookSecret: null, previousWebhookSecretExpiresAt: null })
    .where(lte(accounts.previousWebhookSecretExpiresAt, new Date(now)));
  return result.meta.changes;
}
