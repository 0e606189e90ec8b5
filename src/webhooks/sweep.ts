/**
 * The outbox sweep, run by the cron job: a delivery still `pending` (never
 * attempted) a while after it was recorded or last swept was most likely
 * never enqueued (the enqueue after its write failed), so it is enqueued
 * again. A message that was only slow then makes a second copy: the
 * consumer skips a delivery already settled, and receivers drop a
 * duplicate by event id (delivery is at least once).
 */
import { and, eq, gt, inArray, lt } from "drizzle-orm";
import { getDb } from "../db/client";
import { webhookDeliveries } from "../db/schema";
import { enqueue } from "./outbox";

/** How long a pending delivery waits for its first attempt before it is enqueued again. */
export const SWEEP_AFTER_MS = 2 * 60_000;
/** Older pending deliveries are left alone: their change is a day old. */
const SWEEP_WINDOW_MS = 24 * 3_600_000;
const SWEEP_MAX = 100;

/** Enqueues again the deliveries left pending as of `now`; returns how many. */
export async function sweepPendingDeliveries(env: Env, now: number): Promise<number> {
  const db = getDb(env.DB);
  const stuck = await db
    .select({ eventId: webhookDeliveries.eventId })
    .from(webhookDeliveries)
    .where(
      and(
        eq(webhookDeliveries.status, "pending"),
        lt(webhookDeliveries.updatedAt, new Date(now - SWEEP_AFTER_MS)),
        gt(webhookDeliveries.createdAt, new Date(now - SWEEP_WINDOW_MS)),
      ),
    )
    .limit(SWEEP_MAX);
  if (stuck.length === 0) return 0;
  const ids = stuck.map((row) => row.eventId);
  // Marked as swept first, so the next run waits SWEEP_AFTER_MS again.
  await db
    .update(webhookDeliveries)
    .set({ updatedAt: new Date(now) })
    .where(inArray(webhookDeliveries.eventId, ids));
  await enqueue(
    env,
    ids.map((id) => ({ id })),
  );
  return ids.length;
}
