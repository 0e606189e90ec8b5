import { afterEach, describe, expect, it, vi } from "vitest";
import {
  accountWithKey,
  admin,
  call,
  createAccount,
  createKey,
  errorOf,
  marker,
  originRequests,
  sleep,
} from "../support/helpers";

const statuses = (responses: Response[]) => responses.map((r) => r.status);
const count = (responses: Response[], status: number) => statuses(responses).filter((s) => s === status).length;

afterEach(() => {
  vi.useRealTimers();
});

describe("exact rate limits", () => {
  it.each([
    [30, 10],
    [10, 10],
    [5, 10],
    [100, 37],
  ])(
    "admits exactly min(N, L) of N=%i concurrent requests against L=%i, and the origin sees exactly those",
    async (n, limit) => {
      const { key } = await accountWithKey({ rateLimit: { limit, windowSeconds: 60 } });
      const m = marker();
      const responses = await Promise.all(Array.from({ length: n }, () => call(key.key, `/v1/domains/${m}`)));
      expect(count(responses, 200)).toBe(Math.min(n, limit));
      expect(count(responses, 429)).toBe(n - Math.min(n, limit));
      expect(await originRequests({ pathContains: m })).toHaveLength(Math.min(n, limit));
    },
  );

  it("admits exactly L of a burst lasting across several lease-demand slots (leases never strand tokens)", async () => {
    for (let round = 0; round < 3; round++) {
      const { key } = await accountWithKey({ rateLimit: { limit: 37, windowSeconds: 60 } });
      const responses = await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          await sleep(i * 5);
          return call(key.key);
        }),
      );
      expect(count(responses, 200)).toBe(37);
      expect(count(responses, 429)).toBe(63);
    }
  });

  it("answers 429 RATE_LIMITED with Retry-After and no-store", async () => {
    const { key } = await accountWithKey({ rateLimit: { limit: 1, windowSeconds: 30 } });
    await call(key.key);
    const response = await call(key.key);
    expect(response.status).toBe(429);
    expect(await errorOf(response)).toEqual({ code: "RATE_LIMITED", message: "Rate limit exceeded" });
    expect(response.headers.get("cache-control")).toBe("no-store");
    const retryAfter = Number(response.headers.get("retry-after"));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(31);
  });

  it("sends the rate-limit headers on every authenticated response", async () => {
    const { key } = await accountWithKey({ rateLimit: { limit: 3, windowSeconds: 60 } });
    const before = Math.floor(Date.now() / 1000);
    const responses = [];
    for (let i = 0; i < 4; i++) responses.push(await call(key.key));
    expect(statuses(responses)).toEqual([200, 200, 200, 429]);
    expect(responses.map((r) => r.headers.get("x-ratelimit-remaining"))).toEqual(["2", "1", "0", "0"]);
    for (const response of responses) {
      expect(response.headers.get("x-ratelimit-limit")).toBe("3");
      const reset = Number(response.headers.get("x-ratelimit-reset"));
      expect(reset).toBeGreaterThanOrEqual(before + 59);
      expect(reset).toBeLessThanOrEqual(before + 62);
      expect(response.headers.get("ratelimit-policy")).toBe('"key";q=3;w=60');
      expect(response.headers.get("ratelimit")).toMatch(/^"key";r=\d+;t=\d+$/);
    }
    expect(responses[0]?.headers.get("ratelimit")).toMatch(/^"key";r=2;t=(60|61)$/);
    expect(responses[3]?.headers.get("retry-after")).toMatch(/^\d+$/);
    expect(responses[0]?.headers.get("retry-after")).toBeNull();
  });

  it("resets: a spent window admits again once its requests have left it", async () => {
    const { key } = await accountWithKey({ rateLimit: { limit: 2, windowSeconds: 1 } });
    vi.useFakeTimers({ toFake: ["Date"] });
    expect(statuses([await call(key.key), await call(key.key), await call(key.key)])).toEqual([200, 200, 429]);
    // The clock is an input: Date, as the gate and the isolate read it, moves 1.1 s on.
    vi.setSystemTime(Date.now() + 1100);
    expect(statuses([await call(key.key), await call(key.key), await call(key.key)])).toEqual([200, 200, 429]);
  });

  it("slides: no second burst at a fixed-window boundary", async () => {
    const { key } = await accountWithKey({ rateLimit: { limit: 4, windowSeconds: 2 } });
    vi.useFakeTimers({ toFake: ["Date"] });
    const first = await Promise.all(Array.from({ length: 4 }, () => call(key.key)));
    expect(count(first, 200)).toBe(4);
    vi.setSystemTime(Date.now() + 1100);
    // A fixed 2 s window would have rolled over by now for a burst at its end; a sliding one has not.
    const second = await Promise.all(Array.from({ length: 4 }, () => call(key.key)));
    expect(count(second, 200)).toBe(0);
    vi.setSystemTime(Date.now() + 1000);
    const third = await Promise.all(Array.from({ length: 4 }, () => call(key.key)));
    expect(count(third, 200)).toBe(4);
  });

  it("takes the key's limit, else its account's, else the gateway default", async () => {
    const account = await createAccount({ rateLimit: { limit: 7, windowSeconds: 30 } });
    const inherits = await createKey(account.id);
    const overrides = await createKey(account.id, { rateLimit: { limit: 3, windowSeconds: 10 } });
    const { key: plain } = await accountWithKey();
    expect((await call(inherits.key)).headers.get("ratelimit-policy")).toBe('"key";q=7;w=30');
    expect((await call(overrides.key)).headers.get("ratelimit-policy")).toBe('"key";q=3;w=10');
    expect((await call(plain.key)).headers.get("ratelimit-policy")).toBe('"key";q=100;w=60');
  });

  it("applies a new key limit to the very next request, keeping what was already admitted", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 5, windowSeconds: 60 } });
    await call(key.key);
    await call(key.key);
    await admin("PATCH", `/accounts/${account.id}/keys/${key.id}`, { rateLimit: { limit: 3, windowSeconds: 60 } });
    const next = await call(key.key);
    expect(next.status).toBe(200);
    expect(next.headers.get("x-ratelimit-limit")).toBe("3");
    expect(next.headers.get("x-ratelimit-remaining")).toBe("0");
    expect((await call(key.key)).status).toBe(429);
  });

  it("applies a new account limit to its keys on the very next request", async () => {
    const account = await createAccount({ rateLimit: { limit: 50, windowSeconds: 60 } });
    const key = await createKey(account.id);
    expect((await call(key.key)).headers.get("x-ratelimit-limit")).toBe("50");
    await admin("PATCH", `/accounts/${account.id}`, { rateLimit: { limit: 2, windowSeconds: 60 } });
    expect(statuses([await call(key.key), await call(key.key)])).toEqual([200, 429]);
  });

  it("counts each key separately", async () => {
    const account = await createAccount({ rateLimit: { limit: 1, windowSeconds: 60 } });
    const a = await createKey(account.id);
    const b = await createKey(account.id);
    expect(statuses([await call(a.key), await call(b.key), await call(a.key)])).toEqual([200, 200, 429]);
  });
});
