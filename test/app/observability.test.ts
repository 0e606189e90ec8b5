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
      traceId: expect.stringMatching(/^[0-9a-f]{32}$/),
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
      accountGateCalls: 1,
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

describe("an X-Request-Id that looks like an API key", () => {
  /** Spellings of a key in a request id: whole, inside a longer id, any case of `mk`, a mere start of one. */
  const idsFor = (key: string) => [
    key,
    `trace-${key}-end`,
    `MK${key.slice(2)}`,
    `Mk${key.slice(2, 13)}`,
    `req=${key.slice(0, 14)}`,
  ];

  /** The response's headers, the origin's view (when it answered) and every log line, as one text. */
  async function everythingSeen(response: Response): Promise<string> {
    const headers = JSON.stringify([...response.headers]);
    return `${headers}\n${await response.text()}\n${lines.join("\n")}`;
  }

  it("is replaced on the data plane: never logged, forwarded to the origin or echoed", async () => {
    const { key } = await accountWithKey();
    for (const id of idsFor(key.key)) {
      lines = [];
      const response = await call(key.key, "/v1/domains", { headers: { "X-Request-Id": id } });
      expect(response.status).toBe(200);
      const fresh = response.headers.get("x-request-id");
      expect(fresh).toMatch(/^[0-9a-f-]{36}$/);
      const seen = await everythingSeen(response);
      // The origin's echo (the body) holds every header it received: the new id, never the old.
      expect(seen).toContain(`"x-request-id":"${fresh}"`);
      expect(seen, id).not.toContain(id);
      expect(seen).not.toContain(key.key.slice(12));
      expect(requestLines()[0]?.requestId).toBe(fresh);
    }
  });

  it("is replaced on the gateway's own errors, before any key check", async () => {
    const { key } = await accountWithKey();
    lines = [];
    // A wrong checksum: the last character changed (to another one, whatever it was).
    const wrong = key.key.slice(0, -1) + (key.key.endsWith("0") ? "1" : "0");
    const response = await call(wrong, "/v1/domains", { headers: { "X-Request-Id": key.key } });
    expect(response.status).toBe(401);
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(await everythingSeen(response)).not.toContain(key.key.slice(12, 30));
  });

  it("is replaced by the admin API, the dashboard and the secret-scanning endpoint", async () => {
    const { key } = await accountWithKey();
    const authorized = { Authorization: `Bearer ${ADMIN_TOKEN}` };
    for (const id of idsFor(key.key)) {
      for (const [path, init] of [
        ["/admin/accounts/acct_missing", { headers: authorized }],
        ["/dashboard/login", {}],
        ["/secret-scanning/github", { method: "POST", body: "[]" }],
      ] as const) {
        lines = [];
        const response = await gatewayWith({}, path, { ...init, headers: { ...init.headers, "X-Request-Id": id } });
        expect(response.headers.get("x-request-id"), path).toMatch(/^[0-9a-f-]{36}$/);
        expect(await everythingSeen(response), `${path} ${id}`).not.toContain(id);
        expect(requestLines()[0]?.requestId).toBe(response.headers.get("x-request-id"));
      }
    }
  });

  it("does not touch an ordinary id, on the data plane or in the app", async () => {
    const { key } = await accountWithKey();
    for (const id of ["client-trace-42", "mk_short", "mk_abcd1234", "mk-abcd1234-Xyz", "a".repeat(128)]) {
      expect(
        (await call(key.key, "/v1/domains", { headers: { "X-Request-Id": id } })).headers.get("x-request-id"),
      ).toBe(id);
      expect(
        (await gatewayWith({}, "/dashboard/login", { headers: { "X-Request-Id": id } })).headers.get("x-request-id"),
      ).toBe(id);
    }
  });
});

describe("the trace-id in log lines", () => {
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const traceparent = `00-${traceId}-00f067aa0ba902b7-01`;

  it("is the caller's on the data plane, the admin API and the dashboard, refused requests included", async () => {
    const { key } = await accountWithKey();
    lines = [];
    await call(key.key, "/v1/domains", { headers: { traceparent } });
    await call("mk_nonsense", "/v1/domains", { headers: { traceparent } });
    await admin("GET", "/accounts/acct_missing", undefined, ADMIN_TOKEN, { traceparent });
    await gatewayWith({}, "/dashboard/login", { headers: { traceparent } });
    expect(requestLines().map((line) => line.traceId)).toEqual([traceId, traceId, traceId, traceId]);
  });

  it("is the one the origin received when the gateway started the trace", async () => {
    const { key } = await accountWithKey();
    lines = [];
    const response = await call(key.key, "/v1/domains", { headers: { traceparent: traceparent.toUpperCase() } });
    const received = ((await response.json()) as { headers: Record<string, string> }).headers.traceparent;
    const [line] = requestLines();
    expect(line?.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(line?.traceId).not.toBe(traceId);
    expect(received).toBe(`00-${line?.traceId}-${received?.slice(36, 52)}-01`);
  });
});
