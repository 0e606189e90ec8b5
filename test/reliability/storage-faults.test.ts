/**
 * Storage faults, each on the real bindings wrapped to fail on demand
 * (test/support/counting-env.ts): KV failing or hanging, D1 failing on the
 * data plane and at every single call of each admin write (keys, accounts,
 * dashboard users; a failed attempt leaves no audit entry and no webhook
 * event, the successful one exactly one entry), and the key's Durable Object
 * unreachable during admin changes.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { isolate } from "../../src/isolate";
import { countingEnv, d1Down, type Faults } from "../support/counting-env";
import { signedIn } from "../support/dashboard";
import {
  ADMIN_TOKEN,
  accountWithKey,
  createAccount,
  dataOf,
  errorOf,
  marker,
  originRequests,
} from "../support/helpers";

type Gateway = ReturnType<typeof countingEnv>;

const callVia = (gw: Gateway, key: string, path = `/v1/domains?m=${marker()}`) =>
  gw.fetch(path, { headers: { "X-API-Key": key } });

const adminVia = (gw: Gateway, method: string, path: string, body?: unknown) =>
  gw.fetch(`/admin${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${ADMIN_TOKEN}`,
      ...(body !== undefined && { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

/** The D1 rows an admin write may touch, to compare before and after a failed attempt. */
async function snapshot(accountId: string) {
  const [account, keys, users, sessions, audit, deliveries] = await Promise.all([
    env.DB.prepare(
      "SELECT name, disabled, rate_limit_limit, webhook_url, webhook_secret, previous_webhook_secret, previous_webhook_secret_expires_at, updated_at FROM accounts WHERE id = ?",
    )
      .bind(accountId)
      .first(),
    env.DB.prepare(
      "SELECT id, prefix, name, scopes, expires_at, revoked_at, updated_at FROM api_keys WHERE account_id = ? ORDER BY id",
    )
      .bind(accountId)
      .all(),
    env.DB.prepare("SELECT id, email, password_hash, updated_at FROM users WHERE account_id = ? ORDER BY id")
      .bind(accountId)
      .all(),
    env.DB.prepare("SELECT id, user_id FROM sessions WHERE account_id = ? ORDER BY id").bind(accountId).all(),
    env.DB.prepare("SELECT id, action FROM audit_log WHERE account_id = ? ORDER BY seq").bind(accountId).all(),
    env.DB.prepare("SELECT event_id, type FROM webhook_deliveries WHERE account_id = ? ORDER BY event_id")
      .bind(accountId)
      .all(),
  ]);
  return {
    account,
    keys: keys.results,
    users: users.results,
    sessions: sessions.results,
    audit: audit.results,
    deliveries: deliveries.results,
  };
}

/** A 503 envelope with Retry-After that names nothing internal. */
async function expectUnavailable(response: Response) {
  expect(response.status).toBe(503);
  expect(response.headers.get("Retry-After")).toBe("1");
  const error = await errorOf(response.clone());
  expect(error.code).toBe("SERVICE_UNAVAILABLE");
  expect(error.message).not.toMatch(/D1_|Failed query|Durable Object|at \w+ \(/);
}

/**
 * Runs `write` with D1 failing at its 1st call, then its 2nd, … until an
 * attempt gets through: every failed attempt must answer 503 and leave D1 as
 * it was, audit log and webhook outbox included (`check` may assert more);
 * the successful one must add exactly one audit entry, `action`. Returns the
 * successful response.
 */
async function failAtEveryD1Call(
  accountId: string,
  action: string,
  write: (gw: Gateway) => Promise<Response>,
  check?: () => Promise<void>,
): Promise<{ response: Response; failures: number }> {
  const before = await snapshot(accountId);
  for (let failAt = 1; failAt <= 20; failAt++) {
    const gw = countingEnv({}, { d1: (call) => (call === failAt ? d1Down() : undefined) });
    const response = await write(gw);
    if (gw.counts.d1 < failAt) {
      const added = (await snapshot(accountId)).audit.slice(before.audit.length);
      expect(added.map((entry) => entry.action)).toEqual([action]);
      return { response, failures: failAt - 1 };
    }
    await expectUnavailable(response);
    expect(await snapshot(accountId)).toEqual(before);
    await check?.();
  }
  throw new Error("the write never got through");
}

describe("when Workers KV fails", () => {
  it("falls back to D1 when a KV read throws, and serves the request", async () => {
    const { key } = await accountWithKey();
    const gw = countingEnv({}, { kvRead: () => Promise.reject(new Error("KV GET failed: 500 Internal Server Error")) });
    const m = marker();
    const response = await callVia(gw, key.key, `/v1/domains?m=${m}`);
    expect(response.status).toBe(200);
    expect(gw.counts).toMatchObject({ kvReads: 1, d1: 1 });
    expect(await originRequests({ pathContains: m })).toHaveLength(1);
  });

  it("falls back to D1 when a KV read does not answer within KV_READ_TIMEOUT_MS", async () => {
    const { key } = await accountWithKey();
    const gw = countingEnv({ KV_READ_TIMEOUT_MS: "50" }, { kvRead: () => new Promise(() => {}) });
    const response = await callVia(gw, key.key);
    expect(response.status).toBe(200);
    expect(gw.counts).toMatchObject({ kvReads: 1, d1: 1 });
  });

  it("serves the request when filling KV fails, and creates or rotates a key once when purging KV fails", async () => {
    const kvWriteFails = () => Promise.reject(new Error("KV PUT failed: 503"));
    const account = await createAccount();
    const gw = countingEnv({}, { kvWrite: kvWriteFails });
    const created = await adminVia(gw, "POST", `/accounts/${account.id}/keys`, { name: "Purge fails" });
    expect(created.status).toBe(201);
    const key = await dataOf<{ id: string; key: string }>(created);
    expect((await callVia(gw, key.key)).status).toBe(200);
    const rotated = await adminVia(gw, "POST", `/accounts/${account.id}/keys/${key.id}/rotate`, {});
    expect(rotated.status).toBe(201);
    expect((await snapshot(account.id)).keys).toHaveLength(2);
    expect(gw.counts.kvWrites).toBeGreaterThanOrEqual(4);
    expect((await callVia(gw, key.key)).status).toBe(401);
  });

  it("still refuses an unknown key when KV fails (D1 answers)", async () => {
    const { key } = await accountWithKey();
    const unknown = await accountWithKey();
    await dataOf(await adminVia(countingEnv(), "DELETE", `/accounts/${unknown.account.id}/keys/${unknown.key.id}`));
    const gw = countingEnv({}, { kvRead: () => Promise.reject(new Error("KV down")) });
    expect((await callVia(gw, key.key)).status).toBe(200);
    expect((await callVia(gw, unknown.key.key)).status).toBe(401);
  });
});

describe("when D1 fails on the data plane", () => {
  it("fails closed on a cold key: 503 SERVICE_UNAVAILABLE, and the origin is not called", async () => {
    const { key } = await accountWithKey();
    const gw = countingEnv({}, { d1: d1Down });
    const m = marker();
    const response = await callVia(gw, key.key, `/v1/domains?m=${m}`);
    await expect(errorOf(response)).resolves.toMatchObject({ code: "SERVICE_UNAVAILABLE" });
    expect(response.status).toBe(503);
    expect(await originRequests({ pathContains: m })).toHaveLength(0);
  });

  it("keeps serving a key warm in the isolate", async () => {
    const { key } = await accountWithKey();
    const faults: Faults = {};
    const gw = countingEnv({}, faults);
    expect((await callVia(gw, key.key)).status).toBe(200);
    faults.d1 = d1Down;
    for (let i = 0; i < 3; i++) expect((await callVia(gw, key.key)).status).toBe(200);
  });

  it("keeps serving a key warm in KV, from an isolate that has never seen it", async () => {
    const { key } = await accountWithKey();
    const faults: Faults = {};
    const gw = countingEnv({}, faults);
    expect((await callVia(gw, key.key)).status).toBe(200);
    isolate.records.delete(key.prefix);
    faults.d1 = d1Down;
    const reads = gw.counts.kvReads;
    expect((await callVia(gw, key.key)).status).toBe(200);
    expect(gw.counts.kvReads).toBe(reads + 1);
  });
});

describe("when D1 fails during an admin write, at any of its calls", () => {
  it("creating a key: 503, no key written; a retry creates exactly one", async () => {
    const account = await createAccount();
    const { response, failures } = await failAtEveryD1Call(account.id, "key.created", (gw) =>
      adminVia(gw, "POST", `/accounts/${account.id}/keys`, { name: "Retried" }),
    );
    expect(failures).toBeGreaterThan(0);
    expect(response.status).toBe(201);
    const created = await dataOf<{ id: string; key: string }>(response);
    expect((await snapshot(account.id)).keys.map((row) => row.id)).toEqual([created.id]);
    expect((await callVia(countingEnv(), created.key)).status).toBe(200);
  });

  it("rotating a key: 503, no successor and the old key unchanged and working; a retry rotates once", async () => {
    const { account, key } = await accountWithKey();
    const { response, failures } = await failAtEveryD1Call(
      account.id,
      "key.rotated",
      (gw) => adminVia(gw, "POST", `/accounts/${account.id}/keys/${key.id}/rotate`, { gracePeriodSeconds: 3600 }),
      async () => expect((await callVia(countingEnv({ LEASE_MS: "0" }), key.key)).status).toBe(200),
    );
    expect(failures).toBeGreaterThan(0);
    const successor = await dataOf<{ id: string; key: string }>(response);
    const { keys } = await snapshot(account.id);
    expect(keys.map((row) => row.id).sort()).toEqual([key.id, successor.id].sort());
    expect((await callVia(countingEnv(), successor.key)).status).toBe(200);
    expect((await callVia(countingEnv(), key.key)).status).toBe(200);
  });

  it("revoking a key: 503 with D1 unchanged, the key already refused (failing safe); a retry completes it", async () => {
    const { account, key } = await accountWithKey();
    const { response, failures } = await failAtEveryD1Call(account.id, "key.revoked", (gw) =>
      adminVia(gw, "DELETE", `/accounts/${account.id}/keys/${key.id}`),
    );
    expect(failures).toBeGreaterThan(0);
    expect(response.status).toBe(200);
    const row = await env.DB.prepare("SELECT revoked_at FROM api_keys WHERE id = ?").bind(key.id).first();
    expect(row?.revoked_at).toEqual(expect.any(Number));
    expect((await callVia(countingEnv(), key.key)).status).toBe(401);
  });

  it("disabling an account: 503, nothing changed and its keys working; a retry disables it", async () => {
    const { account, key } = await accountWithKey();
    const { response, failures } = await failAtEveryD1Call(
      account.id,
      "account.updated",
      (gw) => adminVia(gw, "PATCH", `/accounts/${account.id}`, { disabled: true }),
      async () => expect((await callVia(countingEnv({ LEASE_MS: "0" }), key.key)).status).toBe(200),
    );
    expect(failures).toBeGreaterThan(0);
    expect(response.status).toBe(200);
    expect((await callVia(countingEnv(), key.key)).status).toBe(401);
  });

  it("creating a dashboard user: 503, no user written; a retry creates exactly one", async () => {
    const account = await createAccount();
    const email = `${crypto.randomUUID()}@example.com`;
    const { response, failures } = await failAtEveryD1Call(account.id, "user.created", (gw) =>
      adminVia(gw, "POST", `/accounts/${account.id}/users`, { email, password: "a-long-enough-password" }),
    );
    expect(failures).toBeGreaterThan(0);
    expect(response.status).toBe(201);
    expect((await snapshot(account.id)).users).toHaveLength(1);
  });

  it("setting a webhook URL: 503, no URL or secret stored; a retry sets it and shows the secret once", async () => {
    const account = await createAccount();
    const webhookUrl = `http://127.0.0.1:${env.WEBHOOK_RECEIVER_PORT}/hooks/${marker()}`;
    const { response, failures } = await failAtEveryD1Call(account.id, "account.updated", (gw) =>
      adminVia(gw, "PATCH", `/accounts/${account.id}`, { webhookUrl }),
    );
    expect(failures).toBeGreaterThan(0);
    expect(await dataOf(response)).toMatchObject({ webhookUrl, webhookSecret: expect.stringMatching(/^whsec_/) });
  });

  it("rolling the webhook secret: 503, both secrets unchanged; a retry rolls once and shows the new secret", async () => {
    const account = await createAccount();
    const webhookUrl = `http://127.0.0.1:${env.WEBHOOK_RECEIVER_PORT}/hooks/${marker()}`;
    await adminVia(countingEnv(), "PATCH", `/accounts/${account.id}`, { webhookUrl });
    const { response, failures } = await failAtEveryD1Call(account.id, "webhook.secret_rolled", (gw) =>
      adminVia(gw, "POST", `/accounts/${account.id}/webhook-secret`),
    );
    expect(failures).toBeGreaterThan(0);
    expect(response.status).toBe(201);
    expect(await dataOf(response)).toEqual({ webhookSecret: expect.stringMatching(/^whsec_/) });
    expect((await snapshot(account.id)).account?.previous_webhook_secret).toEqual(expect.any(String));
  });

  it("creating a key of an account with a webhook: 503, no key, entry or event; a retry makes one of each", async () => {
    const account = await createAccount();
    const webhookUrl = `http://127.0.0.1:${env.WEBHOOK_RECEIVER_PORT}/hooks/${marker()}`;
    await adminVia(countingEnv(), "PATCH", `/accounts/${account.id}`, { webhookUrl });
    const { response, failures } = await failAtEveryD1Call(account.id, "key.created", (gw) =>
      adminVia(gw, "POST", `/accounts/${account.id}/keys`, { name: "Announced" }),
    );
    expect(failures).toBeGreaterThan(0);
    const created = await dataOf<{ id: string }>(response);
    const { deliveries } = await snapshot(account.id);
    expect(deliveries).toEqual([{ event_id: expect.stringMatching(/^evt_/), type: "key.created" }]);
    expect(created.id).toMatch(/^key_/);
  });
});

describe("when D1 fails while an operator changes a dashboard user, at any of its calls", () => {
  /** A signed-in user, its id, and whether its session still opens a signed-in page. */
  async function signedInUser() {
    const { account, browser } = await signedIn();
    const [user] = await dataOf<Array<{ id: string }>>(
      await adminVia(countingEnv(), "GET", `/accounts/${account.id}/users`),
    );
    const live = async () => (await browser.get("/dashboard/settings/api-keys")).status === 200;
    return { account, userId: user?.id as string, live };
  }

  it("setting a password: 503, the old password and sessions unchanged; a retry sets it and ends the sessions", async () => {
    const { account, userId, live } = await signedInUser();
    const { response, failures } = await failAtEveryD1Call(
      account.id,
      "user.updated",
      (gw) => adminVia(gw, "PATCH", `/accounts/${account.id}/users/${userId}`, { password: "a-brand-new-one" }),
      async () => expect(await live()).toBe(true),
    );
    expect(failures).toBeGreaterThan(0);
    expect(response.status).toBe(200);
    expect(await live()).toBe(false);
    expect((await snapshot(account.id)).sessions).toEqual([]);
  });

  it("deleting a user: 503, the user and sessions unchanged; a retry deletes both", async () => {
    const { account, userId, live } = await signedInUser();
    const { response, failures } = await failAtEveryD1Call(
      account.id,
      "user.deleted",
      (gw) => adminVia(gw, "DELETE", `/accounts/${account.id}/users/${userId}`),
      async () => expect(await live()).toBe(true),
    );
    expect(failures).toBeGreaterThan(0);
    expect(response.status).toBe(200);
    expect(await live()).toBe(false);
    expect(await snapshot(account.id)).toMatchObject({ users: [], sessions: [] });
  });
});

describe("when D1 fails under the dashboard", () => {
  it("answers a 503 page saying nothing was changed, and creates no key", async () => {
    const { account, browser } = await signedIn();
    await browser.get("/dashboard/settings/api-keys/new");
    const token = /name="_csrf" value="([^"]*)"/.exec(browser.html)?.[1] ?? "";
    const cookie = [...browser.cookies].map(([name, c]) => `${name}=${c.value}`).join("; ");
    const before = await snapshot(account.id);
    const gw = countingEnv({}, { d1: d1Down });
    const response = await gw.fetch("/dashboard/settings/api-keys", {
      method: "POST",
      headers: {
        Cookie: cookie,
        Origin: "http://localhost",
        "Content-Type": "application/x-www-form-urlencoded",
        "CF-Connecting-IP": browser.ip,
      },
      body: new URLSearchParams({ _csrf: token, name: "During the outage", expiresOn: "" }).toString(),
    });
    expect(response.status).toBe(503);
    const html = await response.text();
    expect(html).toContain("Nothing was changed");
    expect(html).not.toMatch(/D1_|Failed query|at \w+ \(/);
    expect(await snapshot(account.id)).toEqual(before);
  });
});

describe("when the key's Durable Object cannot be reached during an admin change", () => {
  const unreachable = () => {
    throw Object.assign(new Error("Durable Object is unreachable"), { retryable: false });
  };

  it("revoking answers 503 and writes nothing; once the object is back, a retry revokes", async () => {
    const { account, key } = await accountWithKey();
    const before = await snapshot(account.id);
    const response = await adminVia(
      countingEnv({}, { object: unreachable }),
      "DELETE",
      `/accounts/${account.id}/keys/${key.id}`,
    );
    await expectUnavailable(response);
    expect(await snapshot(account.id)).toEqual(before);
    expect((await adminVia(countingEnv(), "DELETE", `/accounts/${account.id}/keys/${key.id}`)).status).toBe(200);
    expect((await callVia(countingEnv(), key.key)).status).toBe(401);
  });

  it("rotating answers 503 and creates no successor; a retry rotates", async () => {
    const { account, key } = await accountWithKey();
    const before = await snapshot(account.id);
    const path = `/accounts/${account.id}/keys/${key.id}/rotate`;
    const response = await adminVia(countingEnv({}, { object: unreachable }), "POST", path, { gracePeriodSeconds: 0 });
    await expectUnavailable(response);
    expect(await snapshot(account.id)).toEqual(before);
    expect((await callVia(countingEnv(), key.key)).status).toBe(200);
    const successor = await dataOf<{ key: string }>(
      await adminVia(countingEnv(), "POST", path, { gracePeriodSeconds: 0 }),
    );
    expect((await callVia(countingEnv(), key.key)).status).toBe(401);
    expect((await callVia(countingEnv(), successor.key)).status).toBe(200);
  });

  it("updating a key answers 503 saying the change is saved but not yet applied; a retry applies it", async () => {
    const { account, key } = await accountWithKey();
    const path = `/accounts/${account.id}/keys/${key.id}`;
    const response = await adminVia(countingEnv({}, { object: unreachable }), "PATCH", path, {
      scopes: ["domains:read"],
    });
    await expectUnavailable(response);
    expect((await errorOf(response.clone())).message).toMatch(/saved.*retry/i);
    expect((await adminVia(countingEnv(), "PATCH", path, { scopes: ["domains:read"] })).status).toBe(200);
    expect((await callVia(countingEnv(), key.key, "/v1/messages")).status).toBe(403);
  });
});
