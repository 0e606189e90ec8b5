/**
 * The dashboard's one door into the gateway's operations (src/operations,
 * and the audit log's and webhooks' reads): every call the Settings pages
 * make goes through here. Each acts for the signed-in user on their own
 * account (the session's), so a key id of another account is a 404 there,
 * exactly like one that does not exist. The writes are the admin API's own
 * functions: a change made here holds at the edge once it returns, with its
 * audit entry naming the signed-in user as the actor (`byUser`).
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { byUser } from "../audit/context";
import { listAuditLog } from "../audit/list";
import type { Account, ApiKey } from "../db/schema";
import { getAccount, quotaUsage, setWebhookUrl } from "../operations/accounts";
import {
  createKey,
  dismissLeakedKey,
  getListedKey,
  getLiveKey,
  type KeyInput,
  keyNames,
  listKeysWithLeaks,
  revokeKey,
  rotateKey,
  updateKey,
} from "../operations/keys";
import { readUsage } from "../operations/usage";
import { listUsers } from "../operations/users";
import { listDeliveries, sendTestEvent } from "../webhooks/deliveries";
import { isApiError } from "./errors";
import type { QuotaUsage } from "./ui/quota-use";

type Ctx = Context<AppEnv>;
const accountOf = (c: Ctx) => c.var.session.accountId;

/** The account's live keys, and those a leak report revoked, until they are deleted (marked). */
export const keysOfAccount = (c: Ctx) => listKeysWithLeaks(c.env, accountOf(c));

/** A key of the list (live, or revoked by its leak report and not deleted yet), or a 404. */
export const listedKey = (c: Ctx, keyId: string) => getListedKey(c.env, accountOf(c), keyId);

/** The account's live key `keyId`, or a 404. */
export const liveKey = (c: Ctx, keyId: string) => getLiveKey(c.env, accountOf(c), keyId);

/** The account's live key `keyId`, or null when it is gone (deleted since). */
export const liveKeyOrNull = (c: Ctx, keyId: string) =>
  liveKey(c, keyId).catch((error) => {
    if (isApiError(error, "NOT_FOUND")) return null;
    throw error;
  });

/** A new key; a full account is a 409 ApiError (its message says so) and nothing is created. */
export const createAccountKey = (c: Ctx, input: KeyInput) =>
  createKey(c.env, { config: c.var.config, accountId: accountOf(c), input, by: byUser(c) });

/** Renames the key. */
export const renameKey = (c: Ctx, keyId: string, name: string): Promise<ApiKey> =>
  updateKey(c.env, { accountId: accountOf(c), keyId, changes: { name }, by: byUser(c) });

/** Sets the key's restrictions (null: any), from its next request on; one `key.updated` audit entry. */
export const restrictKey = (
  c: Ctx,
  keyId: string,
  restrictions: Pick<KeyInput, "allowedIps" | "allowedSenderDomains">,
) => updateKey(c.env, { accountId: accountOf(c), keyId, changes: restrictions, by: byUser(c) });

/** Rolls the key: a successor, the old key kept for `graceSeconds`; a rotated-out key is a 409. */
export const rollKey = (c: Ctx, keyId: string, graceSeconds: number) =>
  rotateKey(c.env, {
    config: c.var.config,
    accountId: accountOf(c),
    keyId,
    gracePeriodSeconds: graceSeconds,
    by: byUser(c),
  });

/** Deletes a listed key: revokes a live one for good; a key its leak report revoked leaves the list for good. */
export const deleteKey = (c: Ctx, key: ApiKey) =>
  key.revokedAt
    ? dismissLeakedKey(c.env, accountOf(c), key.id, byUser(c))
    : revokeKey(c.env, accountOf(c), key.id, byUser(c));

/** The signed-in user's account. */
export const sessionAccount = (c: Ctx): Promise<Account> => getAccount(c.env, accountOf(c));

/** The account, and this period's quota use (undefined when the account's gate cannot tell just now). */
export async function accountWithUsage(c: Ctx): Promise<{ account: Account; usage: QuotaUsage }> {
  const account = await sessionAccount(c);
  // The page still lists the keys when the gate is briefly unreachable; the quota line says so.
  const usage = await quotaUsage(c.env, account).catch(() => undefined);
  return { account, usage };
}

/** Usage rows as the admin API's CSV (a pure formatter, here so the pages have one door). */
export { usageCsv } from "../operations/usage";

/** The account's usage per key and UTC day from `from` to `to` (epoch ms), exact as of now. */
export const accountUsage = (c: Ctx, range: { from: number; to: number }, keyId?: string) =>
  readUsage(c.env, { accountId: accountOf(c), granularity: "day", ...range, keyId });

/** Every key of the account, revoked ones too, by id: the names of what usage rows and audit entries name. */
export const accountKeyNames = (c: Ctx) => keyNames(c.env, accountOf(c));

/** A page of the account's audit log, newest first, older than `cursor` (a bad cursor is a 400). */
export const auditLogPage = (c: Ctx, limit: number, cursor: string | undefined) =>
  listAuditLog(c.env, accountOf(c), { limit, cursor });

/** The account's dashboard logins by id: the emails audit entries about a user name. */
export async function accountUserEmails(c: Ctx): Promise<Map<string, string>> {
  const users = await listUsers(c.env, accountOf(c));
  return new Map(users.map((user) => [user.id, user.email]));
}

/**
 * Sets the account's webhook URL (null removes it); a new URL comes with a
 * new signing secret, returned only here. A URL the gateway refuses (not
 * https, a private address…) is a 400 ApiError whose message says why.
 */
export const setAccountWebhook = (c: Ctx, url: string | null) =>
  setWebhookUrl(c.env, { config: c.var.config, accountId: accountOf(c), url, by: byUser(c) });

/** The account's most recent webhook deliveries, newest first. */
export const recentDeliveries = (c: Ctx) => listDeliveries(c.env, accountOf(c));

/** Sends a `webhook.test` event through the queue like any other; a 409 ApiError without a URL. */
export const sendWebhookTest = (c: Ctx) => sendTestEvent(c.env, accountOf(c));
