/**
 * Rolling an account's webhook secret (CONTRACT §4 `POST …/webhook-secret`,
 * §7): a new secret shown once; for 24 hours every delivery signed with the
 * new and the previous secret (two `v1` values in each header, each
 * verifying with stock libraries given its secret), then the new one only;
 * exactly one `webhook.secret_rolled` audit entry; 404, 401 and 409; and no
 * secret in a log line, a listing or an audit entry. The 24 hours are a
 * function of the roll's `now`, so no test waits for them.
 */
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterEach, describe, expect, it, vi } from "vitest";
import { getConfig } from "../../src/config";
import { verifyWebhook } from "../../src/verify/index";
import { listDeliveries } from "../../src/webhooks/deliveries";
import {
  forgetRolledSecrets,
  PREVIOUS_SECRET_TTL_MS,
  previousSecretInForce,
  rollWebhookSecret,
  signingSecrets,
} from "../../src/webhooks/rolling";
import { openSecret } from "../../src/webhooks/secret";
import { allAuditRows, auditCount, auditLogOf } from "../support/audit";
import { countingEnv } from "../support/counting-env";
import { ADMIN_TOKEN, admin, createAccount, dataOf, errorOf, gateway } from "../support/helpers";
import { constructEvent, StripeSignatureError } from "../support/stripe-webhooks";
import type { ReceivedHook } from "../support/webhooks";
import { accountWithWebhook, consume, received, recordingQueue } from "../support/webhooks";

const HOUR = 3_600_000;
const NEW_FORMAT = /^whsec_[A-Za-z0-9+/]{43}=$/;

afterEach(() => vi.restoreAllMocks());

const stored = (accountId: string) =>
  env.DB.prepare(
    "SELECT webhook_secret, previous_webhook_secret, previous_webhook_secret_expires_at FROM accounts WHERE id = ?",
  )
    .bind(accountId)
    .first<{
      webhook_secret: string | null;
      previous_webhook_secret: string | null;
      previous_webhook_secret_expires_at: number | null;
    }>();

async function roll(accountId: string) {
  const response = await admin("POST", `/accounts/${accountId}/webhook-secret`);
  expect(response.status).toBe(201);
  return (await dataOf<{ webhookSecret: string }>(response)).webhookSecret;
}

/** A roll as of `now` (the operation itself, as the admin route calls it), for the 24 hours as an input. */
const rollAt = (accountId: string, now: number) =>
  rollWebhookSecret({
    env,
    config: getConfig(env),
    accountId,
    by: { actor: { type: "admin" }, ip: null },
    now,
  });

/** Creates a key (a key.created event) and runs the queue consumer on it once: what the receiver got. */
async function deliverOneEvent(accountId: string, receiverName: string): Promise<ReceivedHook> {
  const queue = recordingQueue();
  const gw = countingEnv({ WEBHOOKS: queue.queue });
  const created = await gw.fetch(`/admin/accounts/${accountId}/keys`, {
    method: "POST",
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify({ name: "Announced" }),
  });
  expect(created.status).toBe(201);
  const eventId = queue.bodies[0]?.eventId as string;
  await consume(gw.env, eventId, 1);
  const hooks = await received(receiverName);
  const hook = hooks.at(-1) as ReceivedHook;
  expect(hook.headers["webhook-id"]).toBe(eventId);
  return hook;
}

const momailValues = (hook: ReceivedHook) => (hook.headers["momail-signature"] as string).split(",").slice(1);
const standardValues = (hook: ReceivedHook) => (hook.headers["webhook-signature"] as string).split(" ");

/** Whether the stock libraries (standardwebhooks, Stripe's algorithm) and the shipped verifier accept `hook` under `secret`. */
async function verifiesWith(hook: ReceivedHook, secret: string) {
  const headers = hook.headers as Record<string, string>;
  let standard = true;
  try {
    new Webhook(secret).verify(hook.body, headers);
  } catch {
    standard = false;
  }
  let stripe = true;
  try {
    await constructEvent(hook.body, headers["momail-signature"], secret);
  } catch (error) {
    if (!(error instanceof StripeSignatureError)) throw error;
    stripe = false;
  }
  const momail = (await verifyWebhook(hook.body, headers["momail-signature"], { secret })).ok;
  const either = (await verifyWebhook(hook.body, headers, { secret })).ok;
  return { standard, stripe, momail, either };
}

const ALL = { standard: true, stripe: true, momail: true, either: true };
const NONE = { standard: false, stripe: false, momail: false, either: false };

describe("POST /admin/accounts/{id}/webhook-secret", () => {
  it("answers 201 with a new secret, shown only there; the replaced one is kept sealed as previous for 24 hours", async () => {
    const { account, secret: first } = await accountWithWebhook();
    const before = Date.now();
    const response = await admin("POST", `/accounts/${account.id}/webhook-secret`);
    expect(response.status).toBe(201);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ success: true, data: { webhookSecret: expect.stringMatching(NEW_FORMAT) } });
    const second = (body.data as { webhookSecret: string }).webhookSecret;
    expect(second).not.toBe(first);

    const row = await stored(account.id);
    const config = getConfig(env);
    expect(await openSecret(config, account.id, row?.webhook_secret as string)).toBe(second);
    expect(await openSecret(config, account.id, row?.previous_webhook_secret as string)).toBe(first);
    expect(row?.previous_webhook_secret).not.toContain(first);
    expect(row?.previous_webhook_secret_expires_at).toBeGreaterThanOrEqual(before + 24 * HOUR);
    expect(row?.previous_webhook_secret_expires_at).toBeLessThanOrEqual(Date.now() + 24 * HOUR);

    const shown = JSON.stringify(await dataOf(await admin("GET", `/accounts/${account.id}`)));
    for (const secret of [first, second]) expect(shown).not.toContain(secret);
  });

  it("signs each delivery with both secrets during the 24 hours: two v1 values per header, each verifying with stock libraries", async () => {
    const { account, receiver, secret: previous } = await accountWithWebhook();
    const current = await roll(account.id);
    const hook = await deliverOneEvent(account.id, receiver.name);
    expect(hook.headers["momail-signature"]).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    expect(hook.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$/);
    expect(hook.headers["webhook-timestamp"]).toBe(/^t=(\d+),/.exec(hook.headers["momail-signature"] as string)?.[1]);
    expect(await verifiesWith(hook, current)).toEqual(ALL);
    expect(await verifiesWith(hook, previous)).toEqual(ALL);
    expect(await verifiesWith(hook, `whsec_${btoa("x".repeat(32))}`)).toEqual(NONE);
    // The new secret's signature comes first in both headers.
    const t = Number(hook.headers["webhook-timestamp"]);
    const id = hook.headers["webhook-id"] as string;
    expect(standardValues(hook)[0]).toBe(new Webhook(current).sign(id, new Date(t * 1000), hook.body));
    expect(standardValues(hook)[1]).toBe(new Webhook(previous).sign(id, new Date(t * 1000), hook.body));
    expect(momailValues(hook)).toHaveLength(2);
  });

  it("signs with the new secret only once the 24 hours are over, and the cron job then forgets the previous one", async () => {
    const { account, receiver, secret: previous } = await accountWithWebhook();
    const { webhookSecret: current, previousSecretExpiresAt } = await rollAt(
      account.id,
      Date.now() - PREVIOUS_SECRET_TTL_MS - 1_000,
    );
    expect(previousSecretExpiresAt.getTime()).toBeLessThan(Date.now());
    const hook = await deliverOneEvent(account.id, receiver.name);
    expect(momailValues(hook)).toHaveLength(1);
    expect(standardValues(hook)).toHaveLength(1);
    expect(await verifiesWith(hook, current)).toEqual(ALL);
    expect(await verifiesWith(hook, previous)).toEqual(NONE);

    expect((await stored(account.id))?.previous_webhook_secret).not.toBeNull();
    expect(await forgetRolledSecrets(env, Date.now())).toBeGreaterThanOrEqual(1);
    expect(await stored(account.id)).toMatchObject({
      previous_webhook_secret: null,
      previous_webhook_secret_expires_at: null,
    });
  });

  it("still signs with both a minute before the 24 hours end; the cron job leaves that previous secret alone", async () => {
    const { account, receiver, secret: previous } = await accountWithWebhook();
    const { webhookSecret: current } = await rollAt(account.id, Date.now() - PREVIOUS_SECRET_TTL_MS + 60_000);
    await forgetRolledSecrets(env, Date.now());
    const hook = await deliverOneEvent(account.id, receiver.name);
    expect(standardValues(hook)).toHaveLength(2);
    expect(await verifiesWith(hook, current)).toEqual(ALL);
    expect(await verifiesWith(hook, previous)).toEqual(ALL);
  });

  it("keeps only the last two secrets when rolled again within the 24 hours", async () => {
    const { account, receiver, secret: first } = await accountWithWebhook();
    const second = await roll(account.id);
    const third = await roll(account.id);
    const hook = await deliverOneEvent(account.id, receiver.name);
    expect(await verifiesWith(hook, third)).toEqual(ALL);
    expect(await verifiesWith(hook, second)).toEqual(ALL);
    expect(await verifiesWith(hook, first)).toEqual(NONE);
  });

  it("records exactly one webhook.secret_rolled entry per roll, by the admin, naming the account and no secret", async () => {
    const { account, secret: first } = await accountWithWebhook();
    const entriesBefore = await auditCount(account.id);
    const second = await admin("POST", `/accounts/${account.id}/webhook-secret`, undefined, ADMIN_TOKEN, {
      "CF-Connecting-IP": "203.0.113.9",
    });
    const secret = (await dataOf<{ webhookSecret: string }>(second)).webhookSecret;
    expect(await auditCount(account.id)).toBe(entriesBefore + 1);
    const [entry] = await auditLogOf(account.id);
    expect(entry).toEqual({
      id: expect.stringMatching(/^aud_/),
      at: expect.any(String),
      actor: { type: "admin" },
      action: "webhook.secret_rolled",
      target: { type: "account", id: account.id },
      ip: "203.0.113.9",
    });
    const rows = JSON.stringify(await allAuditRows());
    for (const value of [first, secret, first.slice(6), secret.slice(6)]) expect(rows).not.toContain(value);
  });

  it("answers 404 for an unknown account and 401 without the admin token, changing and auditing nothing", async () => {
    const missing = await admin("POST", "/accounts/acct_doesnotexist00000000/webhook-secret");
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toEqual({ code: "NOT_FOUND", message: "Account not found" });

    const { account } = await accountWithWebhook();
    const row = await stored(account.id);
    const entries = await auditCount(account.id);
    for (const token of ["wrong-token", ""]) {
      const refused = await gateway(`/admin/accounts/${account.id}/webhook-secret`, {
        method: "POST",
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      });
      expect(refused.status).toBe(401);
      expect((await errorOf(refused)).code).toBe("UNAUTHORIZED");
    }
    expect(await stored(account.id)).toEqual(row);
    expect(await auditCount(account.id)).toBe(entries);
  });

  it("answers 409 saying the account has no webhook URL, and changes and audits nothing", async () => {
    const account = await createAccount();
    const entries = await auditCount(account.id);
    const response = await admin("POST", `/accounts/${account.id}/webhook-secret`);
    expect(response.status).toBe(409);
    const error = await errorOf(response);
    expect(error.code).toBe("CONFLICT");
    expect(error.message).toMatch(/no webhook URL/);
    expect(error.message).toContain("webhookUrl");
    expect(await stored(account.id)).toEqual({
      webhook_secret: null,
      previous_webhook_secret: null,
      previous_webhook_secret_expires_at: null,
    });
    expect(await auditCount(account.id)).toBe(entries);
    // The same once the webhook was removed: nothing left to roll.
    const { account: hooked } = await accountWithWebhook();
    await admin("PATCH", `/accounts/${hooked.id}`, { webhookUrl: null });
    expect((await admin("POST", `/accounts/${hooked.id}/webhook-secret`)).status).toBe(409);
  });

  it("is described in the OpenAPI document, with its 201 schema and its errors", async () => {
    const doc = (await (await gateway("/admin/openapi.json")).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: Record<string, unknown> };
    };
    const operation = doc.paths["/accounts/{accountId}/webhook-secret"]?.post;
    expect(Object.keys(operation?.responses ?? {}).sort()).toEqual(["201", "400", "401", "404", "409"]);
    expect(JSON.stringify(operation?.responses["201"])).toContain("#/components/schemas/RolledWebhookSecret");
    expect(doc.components.schemas.RolledWebhookSecret).toMatchObject({
      type: "object",
      properties: { webhookSecret: { type: "string" } },
      required: ["webhookSecret"],
    });
  });
});

describe("a new webhook URL after a roll", () => {
  it("issues a fresh secret of the new format with no overlap: the previous secret is dropped at once", async () => {
    const { account, receiver } = await accountWithWebhook();
    const rolled = await roll(account.id);
    const patched = await dataOf<{ webhookSecret: string }>(
      await admin("PATCH", `/accounts/${account.id}`, { webhookUrl: receiver.url }),
    );
    expect(patched.webhookSecret).toMatch(NEW_FORMAT);
    expect(await stored(account.id)).toMatchObject({
      previous_webhook_secret: null,
      previous_webhook_secret_expires_at: null,
    });
    const hook = await deliverOneEvent(account.id, receiver.name);
    expect(await verifiesWith(hook, patched.webhookSecret)).toEqual(ALL);
    expect(await verifiesWith(hook, rolled)).toEqual(NONE);
  });
});

describe("the 24 hours as a function of now", () => {
  it("keeps the previous secret in force until its expiry, exclusive", () => {
    const rolledAt = 1_800_000_000_000;
    const expiresAt = new Date(rolledAt + PREVIOUS_SECRET_TTL_MS);
    expect(PREVIOUS_SECRET_TTL_MS).toBe(24 * HOUR);
    expect(previousSecretInForce(expiresAt, rolledAt)).toBe(true);
    expect(previousSecretInForce(expiresAt, rolledAt + PREVIOUS_SECRET_TTL_MS - 1)).toBe(true);
    expect(previousSecretInForce(expiresAt, rolledAt + PREVIOUS_SECRET_TTL_MS)).toBe(false);
    expect(previousSecretInForce(null, rolledAt)).toBe(false);
  });

  it("gives the signing secrets newest first, the previous one only within its 24 hours", async () => {
    const { account, secret: previous } = await accountWithWebhook();
    const rolledAt = Date.now();
    const { webhookSecret: current } = await rollAt(account.id, rolledAt);
    const row = await env.DB.prepare("SELECT * FROM accounts WHERE id = ?").bind(account.id).first();
    const sealed = {
      id: account.id,
      webhookSecret: row?.webhook_secret as string,
      previousWebhookSecret: row?.previous_webhook_secret as string,
      previousWebhookSecretExpiresAt: new Date(row?.previous_webhook_secret_expires_at as number),
    };
    const config = getConfig(env);
    expect(await signingSecrets(config, sealed, rolledAt + 23 * HOUR)).toEqual([current, previous]);
    expect(await signingSecrets(config, sealed, rolledAt + 24 * HOUR)).toEqual([current]);
    expect(await signingSecrets(config, { ...sealed, previousWebhookSecret: "v1.9.x.y" }, rolledAt)).toEqual([current]);
    expect(await signingSecrets(config, { ...sealed, webhookSecret: "v1.9.x.y" }, rolledAt)).toEqual([]);
  });
});

describe("what never shows a webhook secret", () => {
  it("no log line, listing or audit entry holds the old or the new secret, through a roll and deliveries", async () => {
    const lines: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        lines.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
      });
    }
    const { account, receiver, secret: first } = await accountWithWebhook("fail=1");
    const second = await roll(account.id);
    await deliverOneEvent(account.id, receiver.name);
    const third = (await rollAt(account.id, Date.now())).webhookSecret;
    const listings = JSON.stringify([
      await dataOf(await admin("GET", `/accounts/${account.id}`)),
      await dataOf(await admin("GET", `/accounts/${account.id}/keys`)),
      await auditLogOf(account.id),
      await listDeliveries(env, account.id),
      await allAuditRows(),
    ]);
    expect(lines.length).toBeGreaterThan(3);
    const logged = lines.join("\n");
    for (const secret of [first, second, third]) {
      for (const part of [secret, secret.slice(6)]) {
        expect(logged).not.toContain(part);
        expect(listings).not.toContain(part);
      }
    }
  });
});
