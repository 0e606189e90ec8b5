/**
 * Sending an event that is not part of an operations-layer write: the
 * account gate's `quota.warning` and `quota.exhausted` (called from inside
 * its Durable Object), and the dashboard's "send a test event". The event is
 * recorded as a pending delivery (one D1 statement, nothing if the account
 * has no webhook URL) and enqueued; delivery is the queue consumer's work,
 * never the caller's.
 *
 * `dedupeKey` makes the call idempotent: the event id is derived from it, so
 * a second call with the same key (a retried alarm, a restarted object)
 * records and sends nothing more. The gate passes one per account, type and
 * quota period.
 */
import { and, eq, isNotNull } from "drizzle-orm";
import { sha256Hex } from "../crypto";
import { getDb } from "../db/client";
import { accounts } from "../db/schema";
import { newEvent, type WebhookEvent, type WebhookEventType } from "./events";
import { deliveryInsertIf, enqueue, wrote } from "./outbox";

export interface EventInput {
  type: WebhookEventType;
  accountId: string;
  data: Record<string, unknown>;
  /** Same key, same event: sent at most once (e.g. `${accountId}:quota.warning:${periodStart}`). */
  dedupeKey?: string;
}

/**
 * Records and enqueues an event for the account's webhook. Returns the event,
 * or null when nothing was sent: the account has no webhook URL, or an event
 * with this `dedupeKey` was already recorded. Throws only if D1 fails (then
 * nothing was recorded, and a retry is safe); a failed enqueue is logged and
 * left to the cron sweep.
 */
export async function enqueueEvent(env: Env, input: EventInput): Promise<WebhookEvent | null> {
  const id = input.dedupeKey === undefined ? undefined : `evt_${(await sha256Hex(input.dedupeKey)).slice(0, 32)}`;
  const event = newEvent(input.type, input.accountId, input.data, id);
  const db = getDb(env.DB);
  const inserted = await deliveryInsertIf(
    db,
    event,
    accounts,
    and(eq(accounts.id, input.accountId), isNotNull(accounts.webhookUrl)),
  );
  if (!wrote(inserted)) return null;
  await enqueue(env, [event]);
  return event;
}
