import { evictDurableObject, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { countingEnv } from "../support/counting-env";
import { admin, call, createAccount, createKey, dataOf, errorOf, marker, originRequests } from "../support/helpers";
import { accountWithWebhook, deliveriesOf } from "../support/webhooks";

const BIG = { limit: 100_000, windowSeconds: 60 };
const statuses = (responses: Response[]) => responses.map((r) => r.status);
const count = (responses: Response[], status: number) => statuses(responses).filter((s) => s === status).length;

/** An account with these settings and `n` keys whose own limits are far out of reach. */
async function accountWithKeys(n: number, settings: Record<string, unknown>) {
  const account = await createAccount(settings);
  const keys = [];
  for (let i = 0; i < n; i++) keys.push(await createKey(account.id, { name: `key ${i}`, rateLimit: BIG }));
  return { account, keys };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("the account's shared rate limit", () => {
  it("admits exactly L of N concurrent requests spread over 25 of the account's keys", async () => {
    const { keys } = await accountWithKeys(25, { sharedRateLimit: { limit: 5, windowSeconds: 60 } });
    const m = marker();
    const responses = await Promise.all(
      Array.from({ length: 150 }, (_, i) => call((keys[i % keys.length] as { key: string }).key, `/v1/domains/${m}`)),
    );
    expect(count(responses, 200)).toBe(5);
    expect(count(responses, 429)).toBe(145);
    expect(await originRequests({ pathContains: m })).toHaveLength(5);
    const refused = responses.find((r) => r.status === 429) as Response;
    expect(await errorOf(refused)).toMatchObject({ code: "RATE_LIMITED" });
    expect(refused.headers.get("x-ratelimit-limit")).toBe("5");
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  });

  it("applies a new shared limit to the very next request", async () => {
    const { account, keys } = await accountWithKeys(2, { sharedRateLimit: { limit: 2, windowSeconds: 60 } });
    const [a, b] = keys as unknown as [{ key: string }, { key: string }];
    expect(statuses([await call(a.key), await call(b.key), await call(a.key)])).toEqual([200, 200, 429]);
    await admin("PATCH", `/accounts/${account.id}`, { sharedRateLimit: { limit: 4, windowSeconds: 60 } });
    expect(statuses([await call(b.key), await call(a.key), await call(b.key)])).toEqual([200, 200, 429]);
    await admin("PATCH", `/accounts/${account.id}`, { sharedRateLimit: null });
    expect((await call(a.key)).headers.get("ratelimit-policy")).not.toContain('"account"');
  });

  it("counts nothing for a request the key's own limit refused", async () => {
    const account = await createAccount({ sharedRateLimit: { limit: 5, windowSeconds: 60 } });
    const limited = await createKey(account.id, { rateLimit: { limit: 2, windowSeconds: 60 } });
    const other = await createKey(account.id, { rateLimit: BIG });
    const first = [];
    for (let i = 0; i < 5; i++) first.push(await call(limited.key));
    expect(statuses(first)).toEqual([200, 200, 429, 429, 429]);
    const second = [];
    for (let i = 0; i < 4; i++) second.push(await call(other.key));
    expect(statuses(second)).toEqual([200, 200, 200, 429]);
  });
});

describe("the account's quota", () => {
  it("admits exactly the quota's units under concurrency, then 429 QUOTA_EXCEEDED until the period resets", async () => {
    const { account, keys } = await accountWithKeys(3, { quota: { limit: 20, period: "day" } });
    const m = marker();
    const responses = await Promise.all(
      Array.from({ length: 60 }, (_, i) => call((keys[i % 3] as { key: string }).key, `/v1/domains/${m}`)),
    );
    expect(count(responses, 200)).toBe(20);
    expect(await originRequests({ pathContains: m })).toHaveLength(20);
    const refused = responses.filter((r) => r.status === 429);
    expect(await errorOf(refused[0] as Response)).toEqual({
      code: "QUOTA_EXCEEDED",
      message: "Quota exceeded for this period",
    });
    const midnight = Math.ceil(Date.now() / 86_400_000) * 86_400;
    const untilMidnight = () => midnight - Date.now() / 1000;
    for (const response of refused) {
      expect(response.headers.get("x-quota-limit")).toBe("20");
      expect(response.headers.get("x-quota-reset")).toBe(String(midnight));
      // While leases hold some of the units (they may come back) a refusal says at most 5 s, else the period's end.
      const retryAfter = Number(response.headers.get("retry-after"));
      expect(retryAfter <= 5 || Math.abs(retryAfter - untilMidnight()) < 3).toBe(true);
    }
    // Once every lease has ended and its unused units are back, a refusal points at the period's end.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 6_000);
    const later = await call((keys[0] as { key: string }).key, `/v1/domains/${m}`);
    expect(later.status).toBe(429);
    expect(later.headers.get("x-quota-remaining")).toBe("0");
    expect(Math.abs(Number(later.headers.get("retry-after")) - untilMidnight())).toBeLessThan(3);
    const got = await dataOf<{ quotaUsage: { used: number; resetAt: string } }>(
      await admin("GET", `/accounts/${account.id}`),
    );
    expect(got.quotaUsage).toEqual({ used: 20, resetAt: new Date(midnight * 1000).toISOString() });
  });

  it("charges each route what ROUTE_COSTS says, the most specific match winning; a free route is never refused", async () => {
    const { keys } = await accountWithKeys(1, { quota: { limit: 5, period: "month" } });
    const key = (keys[0] as { key: string }).key;
    const gw = countingEnv({ ROUTE_COSTS: JSON.stringify({ "POST /v1/messages": 2, "* /v1/domains": 0, "*": 1 }) });
    const send = (method: string, path: string) => gw.fetch(path, { method, headers: { "X-API-Key": key } });
    expect((await send("POST", "/v1/messages")).headers.get("x-quota-remaining")).toBe("3");
    expect((await send("GET", "/v1/messages")).headers.get("x-quota-remaining")).toBe("2");
    expect((await send("POST", "/v1/messages")).headers.get("x-quota-remaining")).toBe("0");
    expect((await send("POST", "/v1/messages")).status).toBe(429);
    for (let i = 0; i < 3; i++) expect((await send("GET", "/v1/domains")).status).toBe(200);
  });

  it("counts nothing against the quota for a request a rate limit refused", async () => {
    const account = await createAccount({ quota: { limit: 10, period: "day" } });
    const key = await createKey(account.id, { rateLimit: { limit: 1, windowSeconds: 60 } });
    expect(statuses([await call(key.key), await call(key.key), await call(key.key)])).toEqual([200, 429, 429]);
    const got = await dataOf<{ quotaUsage: { used: number } }>(await admin("GET", `/accounts/${account.id}`));
    expect(got.quotaUsage.used).toBe(1);
  });

  it("starts the next calendar month from zero, on time, and an alarm retried after a restart resets nothing", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2028-02-29T23:59:58Z"));
    const { account, keys } = await accountWithKeys(1, { quota: { limit: 2, period: "month" } });
    const key = (keys[0] as { key: string }).key;
    expect(statuses([await call(key), await call(key), await call(key)])).toEqual([200, 200, 429]);
    const gate = env.RATE_LIMITER.getByName(account.id);
    expect(await runDurableObjectAlarm(gate)).toBe(true);
    vi.setSystemTime(new Date("2028-03-01T00:00:01Z"));
    const march = await call(key);
    expect(march.status).toBe(200);
    expect(march.headers.get("x-quota-reset")).toBe(String(Date.UTC(2028, 3, 1) / 1000));
    await runDurableObjectAlarm(gate);
    await runDurableObjectAlarm(gate);
    expect((await call(key)).status).toBe(200);
    expect((await call(key)).status).toBe(429);
  });
});

describe("headers of every kind of response", () => {
  it("name each policy that applies, and X-RateLimit-* the one with the fewest requests left", async () => {
    const account = await createAccount({
      sharedRateLimit: { limit: 50, windowSeconds: 60 },
      quota: { limit: 1000, period: "month" },
    });
    const key = await createKey(account.id, { rateLimit: { limit: 3, windowSeconds: 10 }, scopes: ["domains:read"] });
    const ok = await call(key.key);
    expect(ok.headers.get("ratelimit-policy")).toMatch(
      /^"key";q=3;w=10, "account";q=50;w=60, "quota";q=1000;w=(2419200|2505600|2592000|2678400)$/,
    );
    expect(ok.headers.get("ratelimit")).toMatch(/^"key";r=2;t=\d+, "account";r=49;t=\d+, "quota";r=999;t=\d+$/);
    expect(ok.headers.get("x-ratelimit-limit")).toBe("3");
    expect(ok.headers.get("x-ratelimit-remaining")).toBe("2");
    expect(ok.headers.get("x-quota-remaining")).toBe("999");
    const forbidden = await call(key.key, "/v1/messages", { method: "POST" });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get("ratelimit-policy")).toContain('"quota"');
    expect(forbidden.headers.get("x-quota-remaining")).toBe("999");
    await call(key.key);
    await call(key.key);
    const limited = await call(key.key);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(limited.headers.get("x-quota-remaining")).toBe("997");
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(10);
  });
});

describe("an account's key cap", () => {
  it("refuses a key beyond maxKeys with 409 CONFLICT and writes nothing; revoked and expired keys do not count", async () => {
    const account = await createAccount({ maxKeys: 2 });
    const first = await createKey(account.id);
    // Expires in a minute, which the clock (an input: Date is faked) then passes.
    const expiresAt = Date.now() + 60_000;
    await createKey(account.id, { expiresAt: new Date(expiresAt).toISOString() });
    const refused = await admin("POST", `/accounts/${account.id}/keys`, { name: "one too many" });
    expect(refused.status).toBe(409);
    expect((await errorOf(refused)).message).toMatch(/already has 2 keys, its limit/);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE account_id = ?")
      .bind(account.id)
      .first();
    expect(rows).toEqual({ n: 2 });
    await admin("DELETE", `/accounts/${account.id}/keys/${first.id}`);
    await createKey(account.id);
    expect((await admin("POST", `/accounts/${account.id}/keys`, { name: "full again" })).status).toBe(409);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(expiresAt + 100);
    await createKey(account.id);
  });

  it("holds exactly under concurrent creations", async () => {
    const account = await createAccount({ maxKeys: 5 });
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) => admin("POST", `/accounts/${account.id}/keys`, { name: `k${i}` })),
    );
    expect(count(responses, 201)).toBe(5);
    expect(count(responses, 409)).toBe(7);
  });

  it("defaults to MAX_KEYS_PER_ACCOUNT, shown as the account's maxKeys", async () => {
    const account = await dataOf<{ id: string; maxKeys: number }>(
      await admin("POST", "/accounts", { name: "Default" }),
    );
    expect(account.maxKeys).toBe(100);
    const patched = await dataOf<{ maxKeys: number }>(await admin("PATCH", `/accounts/${account.id}`, { maxKeys: 7 }));
    expect(patched.maxKeys).toBe(7);
  });
});

describe("quota webhook events", () => {
  it("sends quota.warning at 80 % and quota.exhausted at 100 %, exactly once each per period, even under concurrency", async () => {
    const { account } = await accountWithWebhook();
    await admin("PATCH", `/accounts/${account.id}`, { quota: { limit: 10, period: "day" } });
    const key = await createKey(account.id, { rateLimit: BIG });
    const quotaEvents = async () =>
      (await deliveriesOf(account.id)).map((row) => row.type).filter((type) => type.startsWith("quota."));
    // The gate records an event before the call that crossed its line answers: nothing to wait for.
    for (let i = 0; i < 7; i++) await call(key.key);
    expect(await quotaEvents()).toEqual([]);
    await Promise.all(Array.from({ length: 12 }, () => call(key.key)));
    expect((await quotaEvents()).sort()).toEqual(["quota.exhausted", "quota.warning"]);
    const [warning] = (await deliveriesOf(account.id))
      .filter((row) => row.type === "quota.warning")
      .map((row) => JSON.parse(row.event) as { data: { quota: Record<string, unknown> } });
    expect(warning?.data.quota).toMatchObject({ limit: 10, period: "day" });
    // More refused requests, an alarm, an eviction: nothing more is sent this period.
    await Promise.all(Array.from({ length: 5 }, () => call(key.key)));
    const gate = env.RATE_LIMITER.getByName(account.id);
    await runDurableObjectAlarm(gate);
    await evictDurableObject(gate);
    await call(key.key);
    expect((await quotaEvents()).length).toBe(2);
  });
});
