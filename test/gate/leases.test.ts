import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { countingEnv } from "../support/counting-env";
import { accountWithKey, admin, createAccount, createKey } from "../support/helpers";

// The clock is an input: Date, as the gate and the isolate read it, moves by each request's gap (or by
// the 5 ms a request takes, for back-to-back ones); nothing waits for time to pass.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Moves the clock `ms` on. */
const pass = (ms: number) => vi.setSystemTime(Date.now() + ms);

/** Sends sequential requests with `key` for `ms` of the clock (at most `max` of them, `gap` ms apart), returning the statuses. */
async function sustain(fetch: ReturnType<typeof countingEnv>["fetch"], key: string, ms: number, max = 5000, gap = 5) {
  const statuses: number[] = [];
  const started = Date.now();
  while (Date.now() - started < ms && statuses.length < max) {
    statuses.push((await fetch("/v1/domains", { headers: { "X-API-Key": key } })).status);
    pass(gap);
  }
  return statuses;
}

/** Ten keys of one account, each with a limit far out of reach. */
async function tenKeys() {
  const account = await createAccount();
  return Promise.all(
    Array.from({ length: 10 }, () => createKey(account.id, { rateLimit: { limit: 100_000, windowSeconds: 60 } })),
  );
}

/** Sends requests for `ms`, taking the keys in turn, `gap` ms apart; returns the statuses. */
async function inTurn(
  fetch: ReturnType<typeof countingEnv>["fetch"],
  keys: { key: string }[],
  ms: number,
  gap: number,
) {
  const statuses: number[] = [];
  const started = Date.now();
  for (let i = 0; Date.now() - started < ms; i++) {
    const key = keys[i % keys.length] as { key: string };
    statuses.push((await fetch("/v1/domains", { headers: { "X-API-Key": key.key } })).status);
    pass(gap);
  }
  return statuses;
}

describe("leases", () => {
  it("let an isolate serve a hot key with far fewer gate round trips than requests", async () => {
    const { key } = await accountWithKey({ rateLimit: { limit: 100_000, windowSeconds: 60 } });
    const gw = countingEnv();
    await sustain(gw.fetch, key.key, 1100);
    const before = gw.counts.objects;
    const statuses = await sustain(gw.fetch, key.key, 500);
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(gw.counts.objects - before).toBeLessThan(statuses.length / 4);
  });

  it("last longer for a key at a few requests a second, so most of its requests need no round trip", async () => {
    const { key } = await accountWithKey({ rateLimit: { limit: 100_000, windowSeconds: 60 } });
    const gw = countingEnv();
    // About 4 requests a second: the demand of past seconds, not of a busy 100 ms slot.
    await sustain(gw.fetch, key.key, 3000, 5000, 250);
    const before = gw.counts.objects;
    const statuses = await sustain(gw.fetch, key.key, 4000, 5000, 250);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(gw.counts.objects - before).toBeLessThanOrEqual(Math.ceil(statuses.length * 0.3));
  }, 15_000);

  it("come in batches for an account's keys: one call brings leases for its other busy keys", async () => {
    const keys = await tenKeys();
    const gw = countingEnv();
    // Ten keys at about 3 requests a second each, taken in turn.
    await inTurn(gw.fetch, keys, 3000, 30);
    const before = gw.counts.objects;
    const statuses = await inTurn(gw.fetch, keys, 4000, 30);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // Each key alone would need a call every few of its requests (about 0.13 per request here).
    expect(gw.counts.objects - before).toBeLessThanOrEqual(Math.ceil(statuses.length * 0.08));
  }, 15_000);

  it("reach the slow keys of an account that is busy as a whole: its calls carry their leases", async () => {
    const keys = await tenKeys();
    const gw = countingEnv();
    // Ten keys at about 0.4 requests a second each (under a lone key's lease rate), 4 a second for the account.
    // Demand is measured over whole past seconds: a key qualifies from its third request on.
    await inTurn(gw.fetch, keys, 7000, 240);
    const before = gw.counts.objects;
    const statuses = await inTurn(gw.fetch, keys, 5000, 240);
    expect(statuses.every((s) => s === 200)).toBe(true);
    // Each key alone would make a round trip for every request.
    expect(gw.counts.objects - before).toBeLessThanOrEqual(Math.ceil(statuses.length * 0.35));
  }, 25_000);

  it("never over-admit a hot key running into its limit", async () => {
    const { key } = await accountWithKey({ rateLimit: { limit: 400, windowSeconds: 60 } });
    const gw = countingEnv();
    // Always 600 requests (not a time budget: on a loaded machine a short run may end right at the limit,
    // while a lease fetched ahead still carries the last token).
    const statuses = await sustain(gw.fetch, key.key, 60_000, 600);
    expect(statuses).toHaveLength(600);
    expect(statuses.filter((s) => s === 200).length).toBe(400);
    expect(statuses.slice(400).every((s) => s === 429)).toBe(true);
  });

  it("are void once a revocation has answered", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 100_000, windowSeconds: 60 } });
    const gw = countingEnv();
    await sustain(gw.fetch, key.key, 1200);
    expect((await admin("DELETE", `/accounts/${account.id}/keys/${key.id}`)).status).toBe(200);
    expect((await gw.fetch("/v1/domains", { headers: { "X-API-Key": key.key } })).status).toBe(401);
  });
});
