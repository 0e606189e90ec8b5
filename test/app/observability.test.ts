import { env } from "cloudflare:workers";
import { beforeEach, describe, expect, it } from "vitest";
import { captureConsole } from "../support/console-lines";
import { Browser } from "../support/dashboard";
import { ADMIN_TOKEN, accountWithKey, admin, call, dataOf, gatewayWith } from "../support/helpers";

let lines: string[] = [];
beforeEach(() => {
  lines = [];
});
captureConsole((line) => lines.push(line));

const requestLines = () =>
  lines
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((entry) => entry.type === "request");

async function withEnv(vars: Record<string, unknown>, path: string, init?: RequestInit) {
  const response = await gatewayWith(vars, path, init);
  await response.arrayBuffer();
  return response;
}

describe("request logs", () => {
  it("write one JSON line per request with id, identity, route, status, latency, cache layer, storage operations and the gate's decision", async () => {
    const { account, key } = await accountWithKey();
    lines = [];
    const response = await call(key.key, "/v1/domains?secret=query");
    const logged = requestLines();
    expect(logged).toHaveLength(1);
    expect(logged[0]).toEqual({
      type: "request",
      requestId: response.headers.get("x-request-id"),
      method: "GET",
      route: "/v1/domains",
      status: 200,
      latencyMs: expect.any(Number),
      accountId: account.id,
      keyId: key.id,
      cache: "d1",
      kvReads: 1,
      kvWrites: 1,
      d1Queries: 1,
      objectCalls: 1,
      decision: "allowed",
    });
    await call(key.key);
    expect(requestLines()[1]).toMatchObject({ cache: "isolate", kvReads: 0, d1Queries: 0 });
  });

  it("log errors with their cause", async () => {
    const { key } = await accountWithKey();
    lines = [];
    await withEnv({ UPSTREAM_URL: "http://127.0.0.1:9" }, "/v1/domains", { headers: { "X-API-Key": key.key } });
    const error = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.type === "error");
    expect(error).toMatchObject({ type: "error", error: expect.stringContaining("The origin could not be reached") });
    expect(error?.causes).toEqual(expect.arrayContaining([expect.any(String)]));
  });

  it("never contain a key, secret, pepper, admin token or password, over a full run", async () => {
    const password = "correct-horse-battery-staple-9";
    const { account, key } = await accountWithKey({ rateLimit: { limit: 2, windowSeconds: 60 } });
    const webhookUrl = `http://127.0.0.1:${env.WEBHOOK_RECEIVER_PORT}/hooks/observability`;
    const { webhookSecret } = await dataOf<{ webhookSecret: string }>(
      await admin("PATCH", `/accounts/${account.id}`, { webhookUrl }),
    );
    await admin("POST", `/accounts/${account.id}/users`, { email: `${crypto.randomUUID()}@example.com`, password });
    const rotated = await dataOf<{ key: string; id: string }>(
      await admin("POST", `/accounts/${account.id}/keys/${key.id}/rotate`, { gracePeriodSeconds: 60 }),
    );
    const secrets = [
      key.key,
      key.key.slice(12),
      rotated.key,
      rotated.key.slice(12),
      password,
      ADMIN_TOKEN,
      env.KEY_PEPPER,
      env.ORIGIN_SIGNING_SECRET,
      webhookSecret,
    ];

    await call(key.key, `/v1/keys/${key.key}?api_key=${key.key}`);
    await call(rotated.key);
    await call(rotated.key, "/v1/domains", {
      headers: { Authorization: `Bearer ${rotated.key}`, Cookie: `k=${rotated.key}` },
    });
    await call(rotated.key, "/v1/messages", { method: "POST", body: JSON.stringify({ key: rotated.key }) });
    await call(`${rotated.key.slice(0, 30)}XXXXXX`);
    await call(key.key.replace(/.$/, "Z"));
    await admin("GET", `/accounts/${account.id}/keys`, undefined, `${ADMIN_TOKEN}x`);
    await admin("DELETE", `/accounts/${account.id}/keys/${rotated.id}`);
    await call(rotated.key);
    await withEnv({ UPSTREAM_URL: "http://127.0.0.1:9" }, "/v1/domains", { headers: { "X-API-Key": key.key } });
    await withEnv({ RATE_LIMIT_FAIL_OPEN: "nonsense" }, "/v1/domains", { headers: { "X-API-Key": key.key } });

    // The dashboard: a failed and a good login, a key created (shown once) and deleted.
    const email = `${crypto.randomUUID()}@example.com`;
    await admin("POST", `/accounts/${account.id}/users`, { email, password });
    const browser = new Browser();
    await browser.get("/dashboard/login");
    await browser.post("/dashboard/login", { email, password: `${password}-wrong` });
    await browser.login(email, password);
    await browser.get("/dashboard/settings/api-keys/new");
    await browser.follow(
      await browser.post("/dashboard/settings/api-keys", { name: "From the dashboard", expiresOn: "" }),
    );
    const shown = /value="(mk_[a-z0-9]{8}_[A-Za-z0-9]{24})"/.exec(browser.html)?.[1];
    expect(shown).toBeDefined();
    secrets.push(shown as string, `${password}-wrong`, ...[...browser.cookies.values()].map((c) => c.value));
    await call(shown as string);
    const listed = await dataOf<Array<{ id: string; name: string }>>(
      await admin("GET", `/accounts/${account.id}/keys`),
    );
    const made = listed.find((k) => k.name === "From the dashboard");
    await browser.get("/dashboard/settings/api-keys");
    await browser.post(`/dashboard/settings/api-keys/${made?.id}/delete`);
    await call(shown as string);

    expect(lines.length).toBeGreaterThan(10);
    const all = lines.join("\n");
    for (const secret of secrets) expect(all).not.toContain(secret);
    // Nor does what the gateway writes about these calls: the audit log and the webhook events.
    const [audit, events] = await env.DB.batch<Record<string, unknown>>([
      env.DB.prepare("SELECT * FROM audit_log"),
      env.DB.prepare("SELECT * FROM webhook_deliveries"),
    ]);
    const written = JSON.stringify([audit?.results, events?.results]);
    // The rows this run wrote are among them (the tables also hold other tests' rows).
    const ours = (rows: Array<Record<string, unknown>> = []) => rows.filter((row) => row.account_id === account.id);
    expect(ours(audit?.results).length).toBeGreaterThan(5);
    expect(ours(events?.results).length).toBeGreaterThan(2);
    for (const secret of secrets) expect(written).not.toContain(secret);
  });
});
