/**
 * Which webhook events the gateway records, with what data (CONTRACT §7):
 * key.created, key.revoked, key.rotated from the admin API and the
 * dashboard; key.expiring from the cron job, 7 days and 1 day before expiry,
 * once each; quota events through `enqueueEvent`, once per dedupe key; the
 * test event; and none at all for an account without a webhook.
 */
import {
  createExecutionContext,
  createScheduledController,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { listDeliveries, sendTestEvent } from "../../src/webhooks/deliveries";
import { enqueueEvent } from "../../src/webhooks/enqueue";
import { countingEnv } from "../support/counting-env";
import { admin, createAccount, createKey, dataOf } from "../support/helpers";
import { accountWithWebhook, deliveriesOf, recordingQueue } from "../support/webhooks";

const DAY = 86_400_000;

const eventsOf = async (accountId: string) =>
  (await deliveriesOf(accountId)).map((row) => JSON.parse(row.event) as Record<string, unknown>);

/** Runs the cron job as of `at`, with its enqueues recorded. */
async function cronAt(at: number) {
  const queue = recordingQueue();
  const ctx = createExecutionContext();
  await worker.scheduled(
    createScheduledController({ scheduledTime: at }),
    countingEnv({ WEBHOOKS: queue.queue }).env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return queue.bodies;
}

describe("events of key changes", () => {
  it("records key.created, key.rotated and key.revoked with the key's id, name and prefix, never a secret", async () => {
    const { account } = await accountWithWebhook("fail=999");
    const key = await createKey(account.id, { name: "Evented" });
    const successor = await dataOf<{ id: string; prefix: string; key: string }>(
      await admin("POST", `/accounts/${account.id}/keys/${key.id}/rotate`, { gracePeriodSeconds: 60 }),
    );
    await admin("DELETE", `/accounts/${account.id}/keys/${successor.id}`);
    const events = await eventsOf(account.id);
    const ref = { id: key.id, name: "Evented", prefix: key.prefix };
    const next = { id: successor.id, name: "Evented", prefix: successor.prefix };
    expect(events.map((event) => [event.type, event.data])).toEqual([
      ["key.created", { key: ref }],
      ["key.rotated", { key: ref, newKey: next, oldKeyExpiresAt: expect.any(String) }],
      ["key.revoked", { key: next, revokedAt: expect.any(String) }],
    ]);
    for (const event of events) {
      expect(event).toEqual({
        id: expect.stringMatching(/^evt_/),
        type: expect.any(String),
        createdAt: expect.any(String),
        accountId: account.id,
        data: expect.any(Object),
      });
    }
    const text = JSON.stringify(events);
    for (const secret of [key.key, key.key.slice(12), successor.key, successor.key.slice(12)]) {
      expect(text).not.toContain(secret);
    }
  });

  it("records nothing for an account without a webhook", async () => {
    const account = await createAccount();
    const key = await createKey(account.id);
    await admin("DELETE", `/accounts/${account.id}/keys/${key.id}`);
    expect(await deliveriesOf(account.id)).toEqual([]);
  });

  it("records one key.revoked for two deletions of the same key", async () => {
    const { account } = await accountWithWebhook("fail=999");
    const key = await createKey(account.id);
    await Promise.all([
      admin("DELETE", `/accounts/${account.id}/keys/${key.id}`),
      admin("DELETE", `/accounts/${account.id}/keys/${key.id}`),
    ]);
    expect((await deliveriesOf(account.id)).filter((row) => row.type === "key.revoked")).toHaveLength(1);
  });
});

describe("key.expiring, from the cron job", () => {
  it("is sent 7 days and 1 day before a key expires, exactly once each", async () => {
    const { account } = await accountWithWebhook("fail=999");
    const expiresAt = new Date(Date.now() + 10 * DAY);
    const key = await createKey(account.id, { expiresAt: expiresAt.toISOString() });
    const expiring = async () => (await eventsOf(account.id)).filter((event) => event.type === "key.expiring");

    await cronAt(Date.now());
    expect(await expiring()).toEqual([]);
    const sevenDays = await cronAt(expiresAt.getTime() - 7 * DAY + 60_000);
    await cronAt(expiresAt.getTime() - 6 * DAY);
    expect(await expiring()).toHaveLength(1);
    await cronAt(expiresAt.getTime() - DAY + 60_000);
    await cronAt(expiresAt.getTime() - DAY / 2);
    const events = await expiring();
    expect(events.map((event) => event.data)).toEqual([
      { key: { id: key.id, name: key.name, prefix: key.prefix }, expiresAt: expiresAt.toISOString(), daysBefore: 7 },
      { key: { id: key.id, name: key.name, prefix: key.prefix }, expiresAt: expiresAt.toISOString(), daysBefore: 1 },
    ]);
    expect(sevenDays).toContainEqual({ eventId: events[0]?.id });
  });

  it("sends only the notices still ahead of a key created close to its expiry, and again for a new expiry", async () => {
    const { account } = await accountWithWebhook("fail=999");
    const key = await createKey(account.id, { expiresAt: new Date(Date.now() + DAY / 2).toISOString() });
    await cronAt(Date.now());
    await cronAt(Date.now() + 60_000);
    const days = async () =>
      (await eventsOf(account.id))
        .filter((e) => e.type === "key.expiring")
        .map((e) => (e.data as { daysBefore: number }).daysBefore);
    expect(await days()).toEqual([1]);
    const later = new Date(Date.now() + 3 * DAY);
    await admin("PATCH", `/accounts/${account.id}/keys/${key.id}`, { expiresAt: later.toISOString() });
    await cronAt(Date.now());
    expect(await days()).toEqual([1, 7]);
  });

  it("sends none for revoked or rotated-out keys", async () => {
    const { account } = await accountWithWebhook("fail=999");
    const expiresAt = new Date(Date.now() + 3 * DAY).toISOString();
    const revoked = await createKey(account.id, { expiresAt });
    const rotated = await createKey(account.id, { expiresAt });
    await admin("DELETE", `/accounts/${account.id}/keys/${revoked.id}`);
    await admin("POST", `/accounts/${account.id}/keys/${rotated.id}/rotate`, { gracePeriodSeconds: 3600 });
    await cronAt(Date.now());
    const expiring = (await eventsOf(account.id)).filter((e) => e.type === "key.expiring");
    // Only the rotation's successor (same expiry, live) gets one.
    expect(expiring.map((e) => (e.data as { key: { id: string } }).key.id)).not.toContain(revoked.id);
    expect(expiring.map((e) => (e.data as { key: { id: string } }).key.id)).not.toContain(rotated.id);
    expect(expiring).toHaveLength(1);
  });
});

describe("enqueueEvent, for the account gate's quota events", () => {
  it("records and enqueues the event once per dedupe key", async () => {
    const { account } = await accountWithWebhook("fail=999");
    const queue = recordingQueue();
    const bindings = countingEnv({ WEBHOOKS: queue.queue }).env;
    const input = {
      type: "quota.warning" as const,
      accountId: account.id,
      data: { quota: { limit: 1000, period: "day", used: 800, resetAt: new Date(Date.now() + DAY).toISOString() } },
      dedupeKey: `${account.id}:quota.warning:${Date.UTC(2026, 0, 1)}`,
    };
    const first = await enqueueEvent(bindings, input);
    const again = await enqueueEvent(bindings, input);
    expect(first).toMatchObject({ id: expect.stringMatching(/^evt_/), type: "quota.warning", accountId: account.id });
    expect(again).toBeNull();
    expect(queue.bodies).toEqual([{ eventId: first?.id }]);
    const [row] = await deliveriesOf(account.id);
    expect(JSON.parse(row?.event as string)).toEqual(first);
    expect(
      await enqueueEvent(bindings, { ...input, type: "quota.exhausted", dedupeKey: `${input.dedupeKey}:x` }),
    ).not.toBeNull();
  });

  it("can be called from inside the account gate's Durable Object", async () => {
    const { account } = await accountWithWebhook("fail=999");
    const stub = env.RATE_LIMITER.getByName(account.id);
    const id = await runInDurableObject(stub, async (gate) => {
      // The gate's own bindings, as its code sees them (`this.env`).
      const gateEnv = (gate as unknown as { env: Env }).env;
      const event = await enqueueEvent(gateEnv, {
        type: "quota.exhausted",
        accountId: account.id,
        data: { quota: { limit: 10, period: "day", used: 10, resetAt: new Date(Date.now() + DAY).toISOString() } },
        dedupeKey: `${account.id}:quota.exhausted:1`,
      });
      return event?.id;
    });
    expect((await deliveriesOf(account.id)).map((row) => [row.event_id, row.type])).toContainEqual([
      id,
      "quota.exhausted",
    ]);
  });

  it("records nothing for an account without a webhook", async () => {
    const account = await createAccount();
    expect(await enqueueEvent(env, { type: "quota.exhausted", accountId: account.id, data: {} })).toBeNull();
    expect(await deliveriesOf(account.id)).toEqual([]);
  });
});

describe("for the dashboard", () => {
  it("sends a test event and lists the account's recent deliveries, newest first", async () => {
    const { account } = await accountWithWebhook("fail=999");
    await createKey(account.id);
    const event = await sendTestEvent(env, account.id);
    expect(event.type).toBe("webhook.test");
    const deliveries = await listDeliveries(env, account.id);
    expect(deliveries.map((d) => d.type)).toEqual(["webhook.test", "key.created"]);
    expect(deliveries[0]).toEqual({
      eventId: event.id,
      type: "webhook.test",
      status: expect.stringMatching(/^(pending|retrying)$/),
      attempts: expect.any(Number),
      // The real queue may have made its first attempt by now: the receiver answers 500.
      lastStatusCode: expect.toBeOneOf([null, 500]),
      lastError: expect.toBeOneOf([null, "HTTP 500"]),
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      deliveredAt: null,
    });
  });

  it("refuses a test event with 409 when the account has no webhook, and 404 for no account", async () => {
    const account = await createAccount();
    await expect(sendTestEvent(env, account.id)).rejects.toMatchObject({ code: "CONFLICT" });
    await expect(sendTestEvent(env, "acct_00000000000000000000")).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect(await deliveriesOf(account.id)).toEqual([]);
  });
});
