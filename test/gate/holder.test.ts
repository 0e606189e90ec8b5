/**
 * A location's budget holder (src/gate/holder.ts): when a request says
 * where it arrived (`request.cf.colo`) and its account's gate is far
 * (HOLDER_MIN_RTT_MS; 0 here: always), the isolate asks the holder of its
 * account in that location, not the account's gate; the holder answers from
 * leases sized to the whole location's demand, asks the gate when it holds
 * nothing, and hands parts of its leases on to busy isolates. Every promise
 * holds through it. (Several isolates at once: test/edge/.)
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { delayedGates } from "../../bench/entries/delay";
import { countingEnv } from "../support/counting-env";
import { accountWithKey, admin, createAccount, createKey, marker, originRequests } from "../support/helpers";

/** Every isolate call goes to the location's holder, however near the gate. */
const ALWAYS = { HOLDER_MIN_RTT_MS: "0" };

/** Sends `n` requests with `key`, one after another, arriving in `location`; statuses and log lines. */
async function fromLocation(
  gw: ReturnType<typeof countingEnv>,
  key: string,
  n: number,
  location = "AMS",
  path = "/v1/domains",
) {
  const statuses: number[] = [];
  for (let i = 0; i < n; i++) {
    const response = await gw.fetch(path, { headers: { "X-API-Key": key }, cf: { colo: location } } as RequestInit);
    statuses.push(response.status);
  }
  return statuses;
}

describe("a location's budget holder", () => {
  it("decides a location's requests with every limit exact", async () => {
    const { key } = await accountWithKey({ rateLimit: { limit: 20, windowSeconds: 60 } });
    const m = marker();
    const statuses = await fromLocation(countingEnv(ALWAYS), key.key, 60, "AMS", `/v1/domains/${m}`);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(40);
    expect(await originRequests({ pathContains: m })).toHaveLength(20);
  });

  it("answers a busy account from its own leases: the gate is asked about a few requests in a hundred", async () => {
    const account = await createAccount();
    const key = await createKey(account.id, { rateLimit: { limit: 100_000, windowSeconds: 60 } });
    const holder = env.BUDGET_HOLDER.getByName(`${account.id}@FRA`);
    const ask = () =>
      holder.check({
        accountId: account.id,
        keyId: key.id,
        scope: "domains:read",
        cost: 1,
        admit: true,
        want: 0,
        leaseMs: 0,
      });
    for (let i = 0; i < 50; i++) await ask();
    let gateCalls = 0;
    for (let i = 0; i < 100; i++) {
      const result = await ask();
      expect(result.outcome).toBe("ok");
      gateCalls += result.gateCalls ?? 0;
    }
    expect(gateCalls).toBeLessThanOrEqual(5);
  });

  it("hands a busy isolate part of its lease, in the gate's buckets", async () => {
    const account = await createAccount();
    const key = await createKey(account.id, { rateLimit: { limit: 100_000, windowSeconds: 60 } });
    const holder = env.BUDGET_HOLDER.getByName(`${account.id}@LHR`);
    const request = { accountId: account.id, keyId: key.id, scope: "domains:read", cost: 1, leaseMs: 2000 };
    // The holder learns the key is busy (its own demand), then gets leases from the gate.
    for (let i = 0; i < 30; i++) await holder.check({ ...request, admit: true, want: 0 });
    const refresh = await holder.check({ ...request, admit: false, want: 20 });
    expect(refresh).toMatchObject({
      outcome: "ok",
      lease: { tokens: expect.any(Number), keyBucket: expect.any(Number) },
    });
    if (refresh.outcome !== "ok" || !refresh.lease) throw new Error("expected a lease");
    expect(refresh.lease.tokens).toBeGreaterThan(0);
    expect(refresh.lease.tokens).toBeLessThanOrEqual(20);
    expect(refresh.lease.expiresAt - Date.now()).toBeLessThanOrEqual(2000);
  });

  it("holds a revocation from the moment the admin API answers, while it holds leases for the key", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 100_000, windowSeconds: 60 } });
    const gw = countingEnv(ALWAYS);
    expect((await fromLocation(gw, key.key, 100)).every((s) => s === 200)).toBe(true);
    expect((await admin("DELETE", `/accounts/${account.id}/keys/${key.id}`)).status).toBe(200);
    expect(await fromLocation(gw, key.key, 5)).toEqual([401, 401, 401, 401, 401]);
  });

  it("fails closed when it cannot be reached: 503, and nothing reaches the origin", async () => {
    const { key } = await accountWithKey();
    const gw = countingEnv(ALWAYS, {
      holder: () => {
        throw new Error("holder unreachable");
      },
    });
    const m = marker();
    expect(await fromLocation(gw, key.key, 1, "AMS", `/v1/domains/${m}`)).toEqual([503]);
    expect(await originRequests({ pathContains: m })).toHaveLength(0);
  });

  it("is not used when LOCATION_HOLDERS=false: the isolate asks the account's gate", async () => {
    const { key } = await accountWithKey();
    const gw = countingEnv(
      { LOCATION_HOLDERS: "false" },
      {
        holder: () => {
          throw new Error("holder unreachable");
        },
      },
    );
    expect(await fromLocation(gw, key.key, 3)).toEqual([200, 200, 200]);
  });

  it("is asked only for an account whose gate is far: a near gate is asked directly, as its round trips show", async () => {
    const near = await accountWithKey();
    // A limit of 6 a minute leaves no lease to hand out (a lease is at most a tenth of what remains), so every request of it asks.
    const far = await accountWithKey({ rateLimit: { limit: 6, windowSeconds: 60 } });
    const unreachable = {
      holder: () => {
        throw new Error("holder unreachable");
      },
    };
    // Far means at least HOLDER_MIN_RTT_MS (10 by default; 30 here, clear of a loaded test machine's stalls).
    const threshold = { HOLDER_MIN_RTT_MS: "30" };
    // The gate next door: every call goes to it, none to the holder.
    expect(await fromLocation(countingEnv(threshold, unreachable), near.key.key, 5, "CDG")).toEqual([
      200, 200, 200, 200, 200,
    ]);
    // The gate 80 ms away: the first call measures it, then the holder is asked (here it fails: 503).
    const distant = countingEnv({ ...threshold, RATE_LIMITER: delayedGates(env.RATE_LIMITER, 80) }, unreachable);
    expect(await fromLocation(distant, far.key.key, 3, "CDG")).toEqual([200, 503, 503]);
  });
});
