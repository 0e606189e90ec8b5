/**
 * An account's webhook deliveries as the dashboard (and the admin API) shows
 * them: the recent events with their status, attempts and the receiver's
 * last answer; and "send a test event", which goes through the same queue,
 * signature and retries as any other event.
 */
import { desc, eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { type WebhookDelivery, webhookDeliveries } from "../db/schema";
import { ApiError } from "../errors";
import { getAccount } from "../operations/accounts";
import { enqueueEvent } from "./enqueue";
import type { WebhookEvent } from "./events";

export const DEFAULT_DELIVERIES = 20;
const MAX_DELIVERIES = 100;

export interface DeliveryView {
  eventId: string;
  type: string;
  status: WebhookDelivery["status"];
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}

export function deliveryView(row: WebhookDelivery): DeliveryView {
  return {
    eventId: row.eventId,
    type: row.type,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastError: row.lastError,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
  };
}

/** The account's most recent deliveries, newest first (at most `limit`, 1 to 100). */
export async function listDeliveries(env: Env, accountId: string, limit = DEFAULT_DELIVERIES): Promise<DeliveryView[]> {
  await getAccount(env, accountId);
  const rows = await getDb(env.DB)
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.accountId, accountId))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.eventId))
    .limit(Math.min(Math.max(1, Math.floor(limit)), MAX_DELIVERIES));
  return rows.map(deliveryView);
}

/** Sends a `webhook.test` event to the account's webhook; a 409 if it has none. */
export async function sendTestEvent(env: Env, accountId: string): Promise<WebhookEvent> {
  await getAccount(env, accountId);
  const event = await enqueueEvent(env, {
    type: "webhook.test",
    accountId,
    data: { message: "A test event from MoMail: your webhook receives and verifies events." },
  });
  if (!event) throw new ApiError("CONFLICT", "This account has no webhook URL: set one first");
  return event;
}
