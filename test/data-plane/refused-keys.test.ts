/**
 * Refused keys cost little (CONTRACT §1): once an isolate has seen a key
 * refused as expired, revoked or of a disabled account, it refuses it again
 * with no Durable Object call or storage operation until it reads the key's
 * record again; a key refused with 429 is refused in that isolate without a
 * Durable Object call until its Retry-After. So an old leaked key cannot
 * drive billed calls into its account's gate.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { isolate } from "../../src/isolate";
import { countingEnv } from "../support/counting-env";
import { accountWithKey, admin, createAccount, createKey } from "../support/helpers";

afterEach(() => {
  vi.useRealTimers();
});

/** Sends `n` requests with `key`, one after another; returns the statuses and the storage operations they made. */
async function send(key: string, n: number, path = "/v1/domains") {
  const gw = countingEnv();
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) statuses.push((await gw.fetch(path, { headers: { "X-API-Key": key } })).status);
  return { statuses, counts: gw.counts };
}

describe("a refused key", () => {
  it("expired: refused without a gate call or storage operation after the gate's first refusal", async () => {
    const { key } = await accountWithKey({ expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect((await send(key.key, 1)).statuses).toEqual([200]);
    // A minute on (the clock is an input: Date, as the gate and the isolate read it, is faked), the key has expired.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 61_000);
    const first = await send(key.key, 1);
    expect(first.statuses).toEqual([401]);
    expect(first.counts.objects).toBe(1);
    const again = await send(key.key, 20);
    expect(again.statuses).toEqual(Array(20).fill(401));
    expect(again.counts).toEqual({ kvReads: 0, kvWrites: 0, d1: 0, objects: 0 });
  });

  it("of a disabled account: likewise, and enabling the account restores it at once in the isolate that answered", async () => {
    const { account, key } = await accountWithKey();
    expect((await send(key.key, 1)).statuses).toEqual([200]);
    // Disabled behind the isolate's back (straight in the gate, as another location's admin call would).
    await admin("PATCH", `/accounts/${account.id}`, { disabled: true });
    expect((await send(key.key, 1)).statuses).toEqual([401]);
    const again = await send(key.key, 20);
    expect(again.statuses).toEqual(Array(20).fill(401));
    expect(again.counts.objects).toBe(0);
    await admin("PATCH", `/accounts/${account.id}`, { disabled: false });
    expect((await send(key.key, 1)).statuses).toEqual([200]);
  });

  it("is asked about again once its record is read again (at most every 5 minutes)", async () => {
    const { account, key } = await accountWithKey();
    await admin("PATCH", `/accounts/${account.id}`, { disabled: true });
    expect((await send(key.key, 2)).counts.objects).toBe(1);
    // The record's time in this isolate is up: it is read again (KV or D1), and the gate is asked once more.
    isolate.records.delete(key.prefix);
    const reread = await send(key.key, 3);
    expect(reread.statuses).toEqual([401, 401, 401]);
    expect(reread.counts.objects).toBe(1);
  });

  it("over its limit: refused with 429 and no gate call until its Retry-After", async () => {
    const { key } = await accountWithKey({ rateLimit: { limit: 5, windowSeconds: 60 } });
    const burst = await send(key.key, 300);
    expect(burst.statuses.filter((s) => s === 200)).toHaveLength(5);
    expect(burst.statuses.filter((s) => s === 429)).toHaveLength(295);
    // The five admitted and the first refusal asked the gate; the 294 after it were answered here.
    expect(burst.counts.objects).toBeLessThanOrEqual(6);
    const gw = countingEnv();
    const refused = await gw.fetch("/v1/domains", { headers: { "X-API-Key": key.key } });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(50);
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(gw.counts.objects).toBe(0);
    // Past its Retry-After (the clock is an input), the gate is asked again, and lets it through.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + retryAfter * 1000);
    const after = await send(key.key, 1);
    expect(after.statuses).toEqual([200]);
    expect(after.counts.objects).toBe(1);
  });

  it("over its account's quota: a free route is still let through, and a raise reaches this isolate at once", async () => {
    const account = await createAccount({ quota: { limit: 2, period: "day" } });
    const key = await createKey(account.id);
    const costs = JSON.stringify({ "* /v1/domains": 0, "*": 1 });
    const gw = countingEnv({ ROUTE_COSTS: costs });
    const get = (path: string) => gw.fetch(path, { headers: { "X-API-Key": key.key } });
    expect([(await get("/v1/messages")).status, (await get("/v1/messages")).status]).toEqual([200, 200]);
    expect((await get("/v1/messages")).status).toBe(429);
    const before = gw.counts.objects;
    expect((await get("/v1/messages")).status).toBe(429);
    expect(gw.counts.objects).toBe(before);
    expect((await get("/v1/domains")).status).toBe(200);
    await admin("PATCH", `/accounts/${account.id}`, { quota: { limit: 10, period: "day" } });
    expect((await get("/v1/messages")).status).toBe(200);
  });

  it("out of scope while over its limit: 403 first, as the contract orders them", async () => {
    const { key } = await accountWithKey({ scopes: ["domains:read"], rateLimit: { limit: 1, windowSeconds: 60 } });
    expect((await send(key.key, 2)).statuses).toEqual([200, 429]);
    const forbidden = await send(key.key, 1, "/v1/messages");
    expect(forbidden.statuses).toEqual([403]);
    expect(forbidden.counts.objects).toBe(0);
  });
});
