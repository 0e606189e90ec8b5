/**
 * Webhooks in tests: an account wired to the test receiver
 * (webhook-receiver.ts), what the receiver got, a queue binding that keeps
 * what is sent to it (so a test decides when the consumer runs, instead of
 * the real queue delivering in the background), and one run of the worker's
 * own queue handler on a message, with the ack or retry it decided.
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";
import { WEBHOOK_QUEUE } from "../../src/webhooks/consumer";
import type { WebhookMessage } from "../../src/webhooks/outbox";
import { admin, createAccount, dataOf, marker } from "./helpers";

/** A delivery as the receiver recorded it (webhook-receiver.ts). */
export interface ReceivedHook {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** What the receiver answered (0 when it never did). */
  status: number;
}

/** A receiver URL of its own (`query` makes it misbehave: `fail=3`, `hang=1`). */
export function receiverUrl(query = ""): { name: string; url: string } {
  const name = marker();
  return { name, url: `http://127.0.0.1:${env.WEBHOOK_RECEIVER_PORT}/hooks/${name}${query ? `?${query}` : ""}` };
}

/** What the receiver got under `name`, oldest first. */
export async function received(name: string): Promise<ReceivedHook[]> {
  const response = await fetch(`http://127.0.0.1:${env.WEBHOOK_RECEIVER_PORT}/__hooks/${name}`);
  return response.json();
}

/** A fresh account whose webhook posts to a receiver of its own; its secret as shown once. */
export async function accountWithWebhook(query = "") {
  const account = await createAccount({ name: "Hooked" });
  const receiver = receiverUrl(query);
  const { webhookSecret } = await dataOf<{ webhookSecret: string }>(
    await admin("PATCH", `/accounts/${account.id}`, { webhookUrl: receiver.url }),
  );
  return { account, receiver, secret: webhookSecret };
}

/** A Queue binding that only records the bodies sent to it (or fails, when `fail` says so). */
export function recordingQueue(fail?: () => Error | undefined) {
  const bodies: unknown[] = [];
  const queue = {
    async send(body: unknown) {
      const error = fail?.();
      if (error) throw error;
      bodies.push(body);
    },
    async sendBatch(messages: Iterable<{ body: unknown }>) {
      const error = fail?.();
      if (error) throw error;
      for (const message of messages) bodies.push(message.body);
    },
  };
  return { bodies: bodies as WebhookMessage[], queue: queue as unknown as Queue };
}

/** The event ids recorded for an account, oldest first, with their type and status. */
export async function deliveriesOf(accountId: string) {
  const rows = await env.DB.prepare(
    "SELECT event_id, type, status, attempts, last_status_code, last_error, event FROM webhook_deliveries WHERE account_id = ? ORDER BY created_at, event_id",
  )
    .bind(accountId)
    .all<{
      event_id: string;
      type: string;
      status: string;
      attempts: number;
      last_status_code: number | null;
      last_error: string | null;
      event: string;
    }>();
  return rows.results;
}

/**
 * Runs the worker's queue handler on one message of `queue`, as attempt
 * number `attempts`: the ack or retry it decided, and the delay it asked for
 * a retry (which `getQueueResult` does not report).
 */
export async function consume(bindings: Env, eventId: string, attempts: number, queue: string = WEBHOOK_QUEUE) {
  const batch = createMessageBatch<WebhookMessage>(queue, [
    { id: crypto.randomUUID(), timestamp: new Date(), attempts, body: { eventId } },
  ]);
  const delays: Array<number | undefined> = [];
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    message.retry = (options?: QueueRetryOptions) => {
      delays.push(options?.delaySeconds);
      retry(options);
    };
  }
  const ctx = createExecutionContext();
  await worker.queue(batch, bindings, ctx);
  return { ...(await getQueueResult(batch, ctx)), delays };
}
