import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AccountGate } from "../../src/gate/object";
import { countingEnv } from "../support/counting-env";
import { admin, call, createAccount, createKey, dataOf, errorOf } from "../support/helpers";

interface Row {
  start: string;
  keyId: string;
  admitted: number;
  rateLimited: number;
  quotaExceeded: number;
  forbidden: number;
  origin2xx: number;
  origin4xx: number;
}

const usage = async (accountId: string, query = "") =>
  dataOf<{ granularity: string; from: string; to: string; rows: Row[] }>(
    await admin("GET", `/accounts/${accountId}/usage${query}`),
  );
/** Each key's counts summed over its rows. */
const totals = (rows: Row[]) => {
  const byKey: Record<string, Record<string, number>> = {};
  for (const { start: _start, keyId, ...counts } of rows) {
    const into = byKey[keyId] ?? {};
    for (const [field, n] of Object.entries(counts)) into[field] = (into[field] ?? 0) + n;
    byKey[keyId] = into;
  }
  return byKey;
};
const BIG = { limit: 100_000, windowSeconds: 60 };

/** A known mix of outcomes over three keys, sent concurrently in two phases. */
async function knownMix() {
  const account = await createAccount({ quota: { limit: 12, period: "day" } });
  const a = await createKey(account.id, { name: "limited", rateLimit: { limit: 3, windowSeconds: 60 } });
  const b = await createKey(account.id, { name: "read only", scopes: ["domains:read"], rateLimit: BIG });
  const c = await createKey(account.id, { name: "busy", rateLimit: BIG });
  await Promise.all([
    ...Array.from({ length: 5 }, () => call(a.key)),
    ...Array.from({ length: 3 }, () => call(b.key)),
    ...Array.from({ length: 2 }, () => call(b.key, "/v1/messages", { method: "POST" })),
  ]);
  await Promise.all(Array.from({ length: 10 }, () => call(c.key)));
  const expected = {
    [a.id]: { admitted: 3, rateLimited: 2, quotaExceeded: 0, forbidden: 0, origin2xx: 3 },
    [b.id]: { admitted: 3, rateLimited: 0, quotaExceeded: 0, forbidden: 2, origin2xx: 3 },
    [c.id]: { admitted: 6, rateLimited: 0, quotaExceeded: 4, forbidden: 0, origin2xx: 6 },
  };
  return { account, keys: { a, b, c }, expected };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("usage", () => {
  it("counts a known mix of admitted, 403 and 429 for both reasons, exactly, per key and hour", async () => {
    const { account, expected } = await knownMix();
    const { rows, granularity } = await usage(account.id);
    expect(granularity).toBe("hour");
    expect(totals(rows)).toMatchObject(expected);
    expect(new Set(rows.map((r) => r.start)).size).toBeLessThanOrEqual(2);
  });

  it("keeps the same exact counts once rolled up to D1, after an eviction and retried alarms", async () => {
    const { account, expected } = await knownMix();
    const gate = env.RATE_LIMITER.getByName(account.id);
    await usage(account.id); // delivers what this isolate owed the gate
    // The gate rolls an hour up once it has closed (the clock is an input: Date, as the gate reads it, is faked).
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 3_600_000 + 6 * 60_000);
    expect(await runDurableObjectAlarm(gate)).toBe(true);
    const stored = await env.DB.prepare(
      "SELECT key_id, sum(admitted) AS admitted, sum(rate_limited) AS rl, sum(quota_exceeded) AS qe, sum(forbidden) AS fb FROM usage_hours WHERE account_id = ? GROUP BY key_id",
    )
      .bind(account.id)
      .all<{ key_id: string; admitted: number; rl: number; qe: number; fb: number }>();
    expect(stored.results.map((row) => row.key_id).sort()).toEqual(Object.keys(expected).sort());
    for (const row of stored.results) {
      const want = expected[row.key_id] as {
        admitted: number;
        rateLimited: number;
        quotaExceeded: number;
        forbidden: number;
      };
      expect([row.admitted, row.rl, row.qe, row.fb]).toEqual([
        want.admitted,
        want.rateLimited,
        want.quotaExceeded,
        want.forbidden,
      ]);
    }
    await evictDurableObject(gate);
    // An alarm run again (as after a crash mid-rollup) writes the same absolute numbers, never twice.
    await gate.live();
    await runInGateAlarm(gate);
    await runInGateAlarm(gate);
    expect(totals((await usage(account.id)).rows)).toMatchObject(expected);
  });

  it("counts requests answered from a lease, reported by the isolate when its lease ends", async () => {
    const account = await createAccount();
    const key = await createKey(account.id, { rateLimit: BIG });
    const gw = countingEnv();
    let ok = 0;
    const started = Date.now();
    while (Date.now() - started < 1500) {
      if ((await gw.fetch("/v1/domains", { headers: { "X-API-Key": key.key } })).status === 200) ok++;
    }
    expect(gw.counts.objects).toBeLessThan(ok / 2);
    // Without this isolate's help: the lease-end settlement delivers the report on its own.
    const admitted = async () =>
      (await env.RATE_LIMITER.getByName(account.id).live()).rows.reduce((n, r) => n + r.admitted, 0);
    await expect.poll(admitted, { timeout: 10_000, interval: 200 }).toBe(ok);
  });

  it("sums hours into UTC days, filters by key, and answers CSV", async () => {
    const { account, keys, expected } = await knownMix();
    const daily = await usage(account.id, "?granularity=day");
    expect(daily.granularity).toBe("day");
    expect(daily.rows.every((r) => r.start.endsWith("T00:00:00.000Z"))).toBe(true);
    expect(totals(daily.rows)).toMatchObject(expected);
    const one = await usage(account.id, `?keyId=${keys.c.id}`);
    expect(one.rows.every((r) => r.keyId === keys.c.id)).toBe(true);
    const response = await admin("GET", `/accounts/${account.id}/usage?granularity=day`, undefined, undefined, {
      Accept: "text/csv",
    });
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    const lines = (await response.text()).trim().split("\r\n");
    expect(lines[0]).toBe(
      "start,keyId,admitted,rateLimited,quotaExceeded,forbidden,origin2xx,origin3xx,origin4xx,origin5xx,originFailed",
    );
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.includes(keys.a.id))).toMatch(/,3,2,0,0,3,0,0,0,0$/);
  });

  it.each([
    ["?from=yesterday", /^from: must be an ISO-8601 date-time/],
    ["?to=2027-13-01T00:00:00Z", /^to: must be an ISO-8601 date-time/],
    ["?from=2027-02-01T00:00:00Z&to=2027-01-01T00:00:00Z", /^from: must be before to$/],
    ["?from=2027-01-01T00:00:00Z&to=2027-03-01T00:00:00Z", /^from: the range is at most 31 days for granularity=hour$/],
    ["?granularity=week", /^granularity: must be "hour" or "day"$/],
  ])("refuses %s with 400 naming the field", async (query, message) => {
    const account = await createAccount();
    const response = await admin("GET", `/accounts/${account.id}/usage${query}`);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toMatch(message);
  });

  it("is 404 for an unknown account", async () => {
    expect((await admin("GET", "/accounts/acct_nope/usage")).status).toBe(404);
  });
});

/** Runs the gate's alarm even when none is scheduled (what a runtime retry does). */
async function runInGateAlarm(gate: DurableObjectStub<AccountGate>) {
  await runInDurableObject(gate, (instance: AccountGate) => instance.alarm());
}
