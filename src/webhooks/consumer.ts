/**
 * The WEBHOOKS queue's consumer: each message names a recorded event; it is
 * POSTed to the account's current webhook URL (deliver.ts), signed with the
 * secrets in force at that attempt (rolling.ts), and its delivery row
 * updated. A non-2xx answer or none within 10 s is retried with growing
 * delays (`message.retry({delaySeconds})`), the same event id every time,
 * until WEBHOOK_MAX_ATTEMPTS attempts have failed: the delivery is then
 * `failed` and the message moves to the dead-letter queue. The dead-letter
 * queue's consumer marks `failed` what the platform moved there itself (a
 * consumer that kept crashing), and logs every event that was given up on.
 * Messages of one batch are delivered concurrently, so a slow receiver
 * delays no other account's events.
 */
import { and, eq, inArray } from "drizzle-orm";
import { type Config, getConfig } from "../config";
import { getDb } from "../db/client";
import { accounts, webhookDeliveries } from "../db/schema";
import { logWarning } from "../log";
import { type AttemptResult, deliver } from "./deliver";
import type { WebhookMessage } from "./outbox";
import { signingSecrets } from "./rolling";

export const WEBHOOK_QUEUE = "momail-webhooks";
export const DEAD_LETTER_QUEUE = "momail-webhooks-dlq";

const FIRST_DELAY_SECONDS = 10;
const MAX_DELAY_SECONDS = 6 * 3600;

/** The wait after the `attempt`-th failure: 10 s, 30 s, 90 s, 270 s, … at most 6 hours. */
export function retryDelaySeconds(attempt: number): number {
  return Math.min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 3 ** Math.max(0, attempt - 1));
}

type Outcome = "delivered" | "retrying" | "failed" | "skipped";

function logAttempt(fields: Record<string, unknown>) {
  console.log(JSON.stringify({ type: "webhook", ...fields }));
}

/** Records an attempt's result on the delivery row. */
async function record(env: Env, eventId: string, attempts: number, status: Outcome, result: AttemptResult) {
  const now = new Date();
  await getDb(env.DB)
    .update(webhookDeliveries)
    .set({
      status: status === "skipped" ? "failed" : status,
      attempts,
      lastStatusCode: result.status,
      lastError: result.ok ? null : result.error,
      updatedAt: now,
      ...(result.ok && { deliveredAt: now }),
    })
    .where(eq(webhookDeliveries.eventId, eventId));
}

/** Makes one attempt at the message's delivery, and acks or retries it. */
async function handle(message: Message<WebhookMessage>, env: Env, config: Config): Promise<void> {
  const eventId = message.body?.eventId;
  if (typeof eventId !== "string") return message.ack();
  const [row] = await getDb(env.DB)
    .select({
      delivery: webhookDeliveries,
      url: accounts.webhookUrl,
      secrets: {
        id: accounts.id,
        webhookSecret: accounts.webhookSecret,
        previousWebhookSecret: accounts.previousWebhookSecret,
        previousWebhookSecretExpiresAt: accounts.previousWebhookSecretExpiresAt,
      },
    })
    .from(webhookDeliveries)
    .innerJoin(accounts, eq(accounts.id, webhookDeliveries.accountId))
    .where(eq(webhookDeliveries.eventId, eventId))
    .limit(1);
  // Unknown (never recorded), or already settled by another copy of this message.
  if (!row || row.delivery.status === "delivered" || row.delivery.status === "failed") return message.ack();
  const { delivery } = row;
  const attempts = delivery.attempts + 1;
  // Both secrets during the 24 hours after a roll (rolling.ts), the newest first.
  const secrets = row.url ? await signingSecrets(config, row.secrets, Date.now()) : [];
  if (!row.url || secrets.length === 0) {
    // No URL any more, or a secret sealed under a pepper no longer configured: nothing can be sent.
    const error = row.url ? "webhook secret cannot be opened; set the webhook again" : "no webhook URL";
    await record(env, eventId, delivery.attempts, "skipped", { ok: false, status: null, error });
    logAttempt({ eventId, accountId: delivery.accountId, outcome: "skipped" });
    return message.ack();
  }
  const result = await deliver(row.url, secrets, { id: eventId, type: delivery.type, body: delivery.event });
  const outcome: Outcome = result.ok ? "delivered" : attempts >= config.WEBHOOK_MAX_ATTEMPTS ? "failed" : "retrying";
  await record(env, eventId, attempts, outcome, result);
  logAttempt({ eventId, accountId: delivery.accountId, attempt: attempts, status: result.status, outcome });
  if (outcome === "retrying") return message.retry({ delaySeconds: retryDelaySeconds(attempts) });
  if (outcome === "failed") await env.WEBHOOK_DEAD_LETTERS.send({ eventId } satisfies WebhookMessage);
  message.ack();
}

/** The WEBHOOKS queue handler. */
export async function consumeWebhooks(batch: MessageBatch<WebhookMessage>, env: Env): Promise<void> {
  const config = getConfig(env);
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        await handle(message, env, config);
      } catch (error) {
        // D1 or the queue failed, not the receiver: try again later without counting an attempt.
        logWarning("webhook delivery could not run", { eventId: message.body?.eventId, error: String(error) });
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
      }
    }),
  );
}

/** The dead-letter queue's handler: every event given up on is `failed`, and logged. */
export async function consumeDeadLetters(batch: MessageBatch<WebhookMessage>, env: Env): Promise<void> {
  const ids = batch.messages.map((message) => message.body?.eventId).filter((id) => typeof id === "string");
  if (ids.length > 0) {
    await getDb(env.DB)
      .update(webhookDeliveries)
      .set({ status: "failed", updatedAt: new Date() })
      .where(and(inArray(webhookDeliveries.eventId, ids), inArray(webhookDeliveries.status, ["pending", "retrying"])));
  }
  for (const id of ids) logWarning("webhook event given up on", { eventId: id });
  batch.ackAll();
}
