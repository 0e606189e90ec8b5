/**
 * Webhook delivery (CONTRACT §7): POSTs of the event signed twice
 * (MoMail-Signature and the Standard Webhooks headers), retried with
 * growing delays and the same event id until the receiver answers 2xx, or
 * WEBHOOK_MAX_ATTEMPTS, then `failed` and the dead-letter queue; a slow or
 * dead receiver never slows the admin call that caused the event, and a
 * failed enqueue is made up for by the cron sweep.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { describe, expect, it, vi } from "vitest";
import worker from "../../src/index";
import { verifyWebhook } from "../../src/verify/webhook";
import { DEAD_LETTER_QUEUE, retryDelaySeconds } from "../../src/webhooks/consumer";
import { deliver } from "../../src/webhooks/deliver";
import { countingEnv } from "../support/counting-env";
import { ADMIN_TOKEN, admin, dataOf } from "../support/helpers";
import { constructEvent } from "../support/stripe-webhooks";
import { accountWithWebhook, consume, deliveriesOf, received, receiverUrl, recordingQueue } from "../support/webhooks";

type Gateway = ReturnType<typeof countingEnv>;

const adminVia = (gw: Gateway, method: string, path: string, body?: unknown) =>
  gw.fetch(`/admin${path}`, {
    method,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** Bindings whose queues record what is sent, so the test runs the consumer itself. */
function queuedEnv(overrides: Record<string, unknown> = {}) {
  const webhooks = recordingQueue();
  const deadLetters = recordingQueue();
  const gw = countingEnv({ WEBHOOKS: webhooks.queue, WEBHOOK_DEAD_LETTERS: deadLetters.queue, ...overrides });
  return { gw, webhooks, deadLetters };
}

describe("delivery through the queue consumer", () => {
  it("gets an event to a receiver that fails three times then answers 200: four POSTs, one id, both signatures valid on each", async () => {
    const { account, receiver, secret } = await accountWithWebhook("fail=3");
    const { gw, webhooks } = queuedEnv();
    const key = await dataOf<{ id: string }>(
      await adminVia(gw, "POST", `/accounts/${account.id}/keys`, { name: "Announced" }),
    );
    const [message] = webhooks.bodies;
    expect(message).toEqual({ eventId: expect.stringMatching(/^evt_/) });
    const eventId = message?.eventId as string;

    const results = [];
    for (let attempt = 1; attempt <= 4; attempt++) results.push(await consume(gw.env, eventId, attempt));
    expect(results.slice(0, 3).map((r) => r.delays[0])).toEqual([
      retryDelaySeconds(1),
      retryDelaySeconds(2),
      retryDelaySeconds(3),
    ]);
    expect(retryDelaySeconds(1)).toBeLessThan(retryDelaySeconds(2));
    expect(retryDelaySeconds(2)).toBeLessThan(retryDelaySeconds(3));
    expect(results[3]).toMatchObject({ explicitAcks: [expect.any(String)], retryMessages: [] });

    const hooks = await received(receiver.name);
    expect(hooks.map((hook) => hook.status)).toEqual([500, 500, 500, 200]);
    for (const hook of hooks) {
      const event = JSON.parse(hook.body) as Record<string, unknown>;
      expect(event).toEqual({
        id: eventId,
        type: "key.created",
        createdAt: expect.any(String),
        accountId: account.id,
        data: { key: { id: key.id, name: "Announced", prefix: expect.stringMatching(/^[a-z0-9]{8}$/) } },
      });
      expect(hook.headers["content-type"]).toBe("application/json");
      expect(await verifyWebhook(hook.body, hook.headers["momail-signature"] as string, { secret })).toMatchObject({
        ok: true,
      });
      // The Standard Webhooks headers on every attempt: the event's id, the same t, checked by the stock library.
      const t = /^t=(\d+),v1=[0-9a-f]{64}$/.exec(hook.headers["momail-signature"] as string)?.[1];
      expect(hook.headers["webhook-id"]).toBe(eventId);
      expect(hook.headers["webhook-timestamp"]).toBe(t);
      expect(hook.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(new Webhook(secret).verify(hook.body, hook.headers as Record<string, string>)).toEqual(event);
      expect(await constructEvent(hook.body, hook.headers["momail-signature"] as string, secret)).toEqual(event);
    }
    expect(new Set(hooks.map((hook) => hook.body)).size).toBe(1);
    expect((await deliveriesOf(account.id))[0]).toMatchObject({
      event_id: eventId,
      status: "delivered",
      attempts: 4,
      last_status_code: 200,
      last_error: null,
    });
  });

  it("marks an event failed and moves it to the dead-letter queue after WEBHOOK_MAX_ATTEMPTS failures", async () => {
    const { account, receiver } = await accountWithWebhook("fail=99&status=503");
    const { gw, webhooks, deadLetters } = queuedEnv({ WEBHOOK_MAX_ATTEMPTS: "3" });
    await adminVia(gw, "POST", `/accounts/${account.id}/keys`, { name: "Never heard" });
    const eventId = webhooks.bodies[0]?.eventId as string;
    const results = [];
    for (let attempt = 1; attempt <= 3; attempt++) results.push(await consume(gw.env, eventId, attempt));
    expect(results.map((r) => r.retryMessages.length)).toEqual([1, 1, 0]);
    expect(results[2]?.explicitAcks).toHaveLength(1);
    expect(deadLetters.bodies).toEqual([{ eventId }]);
    expect((await deliveriesOf(account.id))[0]).toMatchObject({
      status: "failed",
      attempts: 3,
      last_status_code: 503,
      last_error: "HTTP 503",
    });
    expect(await received(receiver.name)).toHaveLength(3);
    // A copy of the message that arrives later changes nothing and sends nothing.
    expect((await consume(gw.env, eventId, 4)).explicitAcks).toHaveLength(1);
    expect(await received(receiver.name)).toHaveLength(3);
  });

  it("has the dead-letter queue's consumer mark failed what the platform moved there", async () => {
    const { account } = await accountWithWebhook("fail=99");
    const { gw, webhooks } = queuedEnv();
    await adminVia(gw, "POST", `/accounts/${account.id}/keys`, { name: "Crashed consumer" });
    const eventId = webhooks.bodies[0]?.eventId as string;
    await consume(gw.env, eventId, 1);
    expect((await deliveriesOf(account.id))[0]?.status).toBe("retrying");
    const result = await consume(gw.env, eventId, 1, DEAD_LETTER_QUEUE);
    expect(result.ackAll).toBe(true);
    expect((await deliveriesOf(account.id))[0]?.status).toBe("failed");
  });

  it("counts no answer within the timeout as a failure", async () => {
    const { url } = receiverUrl("hang=1");
    const started = Date.now();
    const result = await deliver(url, ["whsec_test"], { id: "evt_x", type: "webhook.test", body: "{}" }, 300);
    expect(result).toEqual({ ok: false, status: null, error: "no answer within 300 ms" });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("does not follow a redirect: a 3xx answer is a failure", async () => {
    const { url } = receiverUrl("fail=1&status=302");
    expect(await deliver(url, ["whsec_test"], { id: "evt_x", type: "webhook.test", body: "{}" })).toEqual({
      ok: false,
      status: 302,
      error: "HTTP 302",
    });
  });

  it("delivers through the real queue within 10 seconds of the change", async () => {
    const { account, receiver, secret } = await accountWithWebhook();
    const key = await dataOf<{ id: string }>(await admin("POST", `/accounts/${account.id}/keys`, { name: "Live" }));
    await vi.waitUntil(async () => (await received(receiver.name)).length > 0, { timeout: 10_000, interval: 100 });
    const [hook] = await received(receiver.name);
    expect(JSON.parse(hook?.body as string)).toMatchObject({ type: "key.created", data: { key: { id: key.id } } });
    expect(await verifyWebhook(hook?.body as string, hook?.headers ?? {}, { secret })).toEqual({
      ok: true,
      timestamp: expect.any(Number),
      scheme: "standard",
    });
    expect(new Webhook(secret).verify(hook?.body as string, hook?.headers as Record<string, string>)).toMatchObject({
      data: { key: { id: key.id } },
    });
  });
});

describe("what a webhook never does to the call that caused it", () => {
  it("never slows an admin call: a receiver that never answers is not waited for", async () => {
    const { account } = await accountWithWebhook("hang=1");
    const started = Date.now();
    const response = await admin("POST", `/accounts/${account.id}/keys`, { name: "Fast anyway" });
    expect(response.status).toBe(201);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("answers the admin call when the enqueue fails, and the cron sweep enqueues the event later", async () => {
    const { account } = await accountWithWebhook();
    const broken = recordingQueue(() => new Error("Queue send failed: 500"));
    const created = await adminVia(countingEnv({ WEBHOOKS: broken.queue }), "POST", `/accounts/${account.id}/keys`, {
      name: "Enqueue failed",
    });
    expect(created.status).toBe(201);
    const [pending] = await deliveriesOf(account.id);
    expect(pending).toMatchObject({ type: "key.created", status: "pending", attempts: 0 });

    const sweep = recordingQueue();
    const bindings = countingEnv({ WEBHOOKS: sweep.queue }).env;
    const run = async (at: number) => {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ scheduledTime: at }), bindings, ctx);
      await waitOnExecutionContext(ctx);
    };
    const copies = () => sweep.bodies.filter((body) => body.eventId === pending?.event_id).length;
    await run(Date.now());
    expect(copies()).toBe(0);
    await run(Date.now() + 3 * 60_000);
    expect(copies()).toBe(1);
    // Swept once: the next run waits again before another copy.
    await run(Date.now() + 3 * 60_000);
    expect(copies()).toBe(1);
  });
});
