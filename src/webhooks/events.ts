/**
 * Webhook events (CONTRACT §7): `{id, type, createdAt, accountId, data}`,
 * where `data` names the key (id, name, prefix) or the quota, never a secret.
 * An event's id is fixed when it is made and sent unchanged on every attempt,
 * so a receiver can drop duplicates by id (delivery is at least once).
 */
import { newId } from "../ids";

export const WEBHOOK_EVENT_TYPES = [
  "key.created",
  "key.revoked",
  "key.rotated",
  "key.leaked",
  "key.expiring",
  "quota.warning",
  "quota.exhausted",
  "webhook.test",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface WebhookEvent {
  id: string;
  type: WebhookEventType;
  /** ISO-8601, when the change happened. */
  createdAt: string;
  accountId: string;
  data: Record<string, unknown>;
}

/** A key as events name it: never its secret or hash. */
export interface KeyRef {
  id: string;
  name: string;
  prefix: string;
}

export const keyRef = (key: KeyRef): KeyRef => ({ id: key.id, name: key.name, prefix: key.prefix });

/** The quota in `quota.warning` and `quota.exhausted`: this period's limit and use, and when it resets (ISO-8601). */
export interface QuotaRef {
  limit: number;
  period: "day" | "month";
  used: number;
  resetAt: string;
}

/** A new event; `id` is random unless given (an idempotent one, see enqueue.ts). */
export function newEvent(
  type: WebhookEventType,
  accountId: string,
  data: Record<string, unknown>,
  id: string = newId("evt"),
): WebhookEvent {
  return { id, type, createdAt: new Date().toISOString(), accountId, data };
}
