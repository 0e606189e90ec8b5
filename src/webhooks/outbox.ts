/**
 * The webhook outbox. An event is recorded as a `pending` delivery in the
 * same D1 batch as the change that caused it (so it exists exactly when the
 * change does), then a message naming it is put on the WEBHOOKS queue, whose
 * consumer (consumer.ts) delivers it. Enqueueing is all a request waits for:
 * a slow or dead receiver never slows an admin call or a `/v1` request. If
 * the enqueue itself fails, the call still succeeds (the change is made) and
 * the failure is logged; the cron job re-enqueues deliveries left pending
 * (sweep.ts), so the event still goes out, later.
 */
import type { SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "../db/client";
import { insertIf } from "../db/conditional";
import { webhookDeliveries } from "../db/schema";
import { TIMED_OUT, withDeadline } from "../deadline";
import { logWarning } from "../log";
import type { WebhookEvent } from "./events";

/** What a queue message carries: the delivery to make (its row holds the event). */
export interface WebhookMessage {
  eventId: string;
}

/** How long a request waits for the queue to take its messages before giving up (and logging). */
const ENQUEUE_TIMEOUT_MS = 2_000;

function rowOf(event: WebhookEvent) {
  const now = new Date(event.createdAt);
  return {
    eventId: event.id,
    accountId: event.accountId,
    type: event.type,
    event: JSON.stringify(event),
    status: "pending" as const,
    attempts: 0,
    createdAt: now,
    updatedAt: now,
  };
}

/**
 * The statement recording `event` as a pending delivery, for the batch of
 * the change that caused it, written only if a row of `from` matches `where`
 * when it runs (the change's own condition).
 */
export function deliveryInsertIf(db: Database, event: WebhookEvent, from: SQLiteTable, where: SQL | undefined) {
  return insertIf(db, { table: webhookDeliveries, row: rowOf(event), from, where }).onConflictDoNothing();
}

/** Puts the recorded events' messages on the queue; never throws: a failure is logged and left to the sweep. */
export async function enqueue(env: Env, events: ReadonlyArray<Pick<WebhookEvent, "id">>): Promise<void> {
  if (events.length === 0) return;
  try {
    const messages = events.map((event) => ({ body: { eventId: event.id } satisfies WebhookMessage }));
    await withDeadline(env.WEBHOOKS.sendBatch(messages), ENQUEUE_TIMEOUT_MS);
  } catch (error) {
    logWarning("webhook enqueue failed; the cron sweep will retry it", {
      eventIds: events.map((event) => event.id),
      error: error === TIMED_OUT ? `no answer in ${ENQUEUE_TIMEOUT_MS} ms` : String(error),
    });
  }
}

/** Whether a statement of a D1 batch wrote a row (a conditional insert may write none). */
export function wrote(result: unknown): boolean {
  return ((result as { meta?: { changes?: number } } | undefined)?.meta?.changes ?? 0) > 0;
}
