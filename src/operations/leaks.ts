/**
 * A key reported as leaked (secret scanning, or an operator's report). The
 * first report of a key marks it (`leakedAt`, shown until it is deleted),
 * writes one `key.leaked` audit entry and sends one `key.leaked` webhook.
 * With LEAKED_KEY_ACTION=revoke (the default) it is also revoked (an
 * expired key too; a revoked one keeps its first `revokedAt`), by the same
 * path as a deletion (keys.ts `revokeWith`: the account's gate is told
 * before D1, so the key is refused everywhere once this returns); with
 * `notify` it is only marked. A repeated report changes nothing more: every
 * write is conditioned on the key not being marked yet.
 */
import { and, eq, isNull } from "drizzle-orm";
import { type AuditContext, auditInsertIf } from "../audit/entries";
import type { Config } from "../config";
import { runBatch } from "../db/batch";
import { getDb } from "../db/client";
import { type ApiKey, apiKeys } from "../db/schema";
import { keyRef, newEvent } from "../webhooks/events";
import { deliveryInsertIf, enqueue, wrote } from "../webhooks/outbox";
import { type AccountRef, revokeWith } from "./keys";

/** Where a leak was seen, as the report says (GitHub's `url` and `source`). */
export interface LeakSighting {
  url: string | null;
  source: string | null;
}

/** What `reportLeakedKey` needs besides `env`: one report of a key. */
export interface ReportLeakedKeyInput {
  config: Config;
  /** The key's account: its id, and whether it has a webhook to tell. */
  account: AccountRef;
  /** The reported key's row, as read before the report is handled. */
  key: ApiKey;
  sighting: LeakSighting;
  /** Who reports it: `bySystem(reason, ip)`, for secret scanning and an operator's report alike. */
  by: AuditContext;
}

/** Handles one report of `key` (of `account`); returns whether the key is revoked once this returns. */
export async function reportLeakedKey(
  env: Env,
  { config, account, key, sighting, by }: ReportLeakedKeyInput,
): Promise<{ revoked: boolean }> {
  if (key.leakedAt) return { revoked: key.revokedAt !== null };
  const details = { url: sighting.url, source: sighting.source };
  const leakedAt = new Date();
  if (config.LEAKED_KEY_ACTION === "revoke") {
    const data = { revoked: true, ...details };
    await revokeWith(env, account, key, { action: "key.leaked", by, set: { leakedAt }, details, data });
    return { revoked: true };
  }
  // `notify`: only marked.
  const db = getDb(env.DB);
  const notMarked = and(eq(apiKeys.id, key.id), isNull(apiKeys.leakedAt));
  const revoked = key.revokedAt !== null;
  const event = account.webhookUrl
    ? newEvent("key.leaked", account.id, { key: keyRef(key), revoked, ...details })
    : null;
  const entry = { accountId: account.id, action: "key.leaked" as const, target: { type: "key" as const, id: key.id } };
  const [, recorded] = await runBatch(db, [
    auditInsertIf(db, { by, entry: { ...entry, details }, from: apiKeys, where: notMarked }),
    ...(event ? [deliveryInsertIf(db, event, apiKeys, notMarked)] : []),
    db.update(apiKeys).set({ leakedAt, updatedAt: leakedAt }).where(notMarked),
  ]);
  if (event && wrote(recorded)) await enqueue(env, [event]);
  return { revoked };
}
