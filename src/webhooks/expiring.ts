/**
 * `key.expiring`, sent by the cron job 7 days and 1 day before a key
 * expires, exactly once each. A key's `expiry_notice` remembers the last
 * notice sent for its current expiry (7, then 1; a new expiry clears it, see
 * operations/keys.ts), and the event is recorded under the same condition as
 * that mark is set, in one batch: two runs of the job that overlap send one
 * notice. A key whose 7-day mark passed before it was created (or before its
 * account had a webhook) gets only the notices still ahead of it. Rotated-out
 * and revoked keys get none.
 */
import { and, eq, gt, isNotNull, isNull, lte, or, type SQL } from "drizzle-orm";
import { runBatch, type Statement } from "../db/batch";
import { getDb } from "../db/client";
import { accounts, apiKeys } from "../db/schema";
import { keyRef, newEvent, type WebhookEvent } from "./events";
import { deliveryInsertIf, enqueue, wrote } from "./outbox";

const DAY_MS = 86_400_000;
/** Days before expiry at which a notice is due, largest first. */
export const EXPIRY_NOTICES = [7, 1] as const;
const FIRST_NOTICE = EXPIRY_NOTICES[0];
const LAST_NOTICE = EXPIRY_NOTICES[EXPIRY_NOTICES.length - 1] as number;

/** The notice due for a key expiring `left` ms from now: the smallest whose days it is within. */
const noticeFor = (left: number) => [...EXPIRY_NOTICES].reverse().find((days) => left <= days * DAY_MS) ?? FIRST_NOTICE;
const MAX_PER_RUN = 200;

/** Keys that may owe a notice as of `now`: live, expiring within the first notice's days, their account with a webhook. */
function owing(now: number): SQL {
  return and(
    isNull(apiKeys.revokedAt),
    isNull(apiKeys.rotatedAt),
    gt(apiKeys.expiresAt, new Date(now)),
    lte(apiKeys.expiresAt, new Date(now + FIRST_NOTICE * DAY_MS)),
    or(isNull(apiKeys.expiryNotice), gt(apiKeys.expiryNotice, LAST_NOTICE)),
  ) as SQL;
}

/** Sends the notices due as of `now`; returns the events sent. */
export async function sendExpiryNotices(env: Env, now: number): Promise<WebhookEvent[]> {
  const db = getDb(env.DB);
  const keys = await db
    .select({ key: apiKeys })
    .from(apiKeys)
    .innerJoin(accounts, eq(accounts.id, apiKeys.accountId))
    .where(and(owing(now), isNotNull(accounts.webhookUrl)))
    .limit(MAX_PER_RUN);
  const due: Array<{ event: WebhookEvent; statements: Statement[] }> = [];
  for (const { key } of keys) {
    const expiresAt = key.expiresAt as Date;
    const notice = noticeFor(expiresAt.getTime() - now);
    if (key.expiryNotice !== null && key.expiryNotice <= notice) continue;
    // The mark as read: a concurrent run, or a PATCH of the expiry, makes this key's statements write nothing.
    const unchanged = and(
      eq(apiKeys.id, key.id),
      eq(apiKeys.expiresAt, expiresAt),
      key.expiryNotice === null ? isNull(apiKeys.expiryNotice) : eq(apiKeys.expiryNotice, key.expiryNotice),
    );
    const event = newEvent("key.expiring", key.accountId, {
      key: keyRef(key),
      expiresAt: expiresAt.toISOString(),
      daysBefore: notice,
    });
    due.push({
      event,
      statements: [
        deliveryInsertIf(db, event, apiKeys, unchanged),
        db.update(apiKeys).set({ expiryNotice: notice }).where(unchanged),
      ],
    });
  }
  const results = await runBatch(
    db,
    due.flatMap((item) => item.statements),
  );
  const sent = due.filter((_, i) => wrote(results[2 * i])).map((item) => item.event);
  await enqueue(env, sent);
  return sent;
}
