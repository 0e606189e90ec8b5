/**
 * Every promise of contract §1 across isolates, as the edge runs the
 * gateway: eight gateway isolates behind a router that spreads requests at
 * random (test/edge/support/edge.ts), each with its own leases, sharing one
 * location's budget holders and an account gate 20 ms away. Limits and
 * quotas are exact however the requests are spread; a refusal for budget
 * that leases elsewhere hold says to come back within 5 s, so a client that
 * honours Retry-After gets exactly the budget, never more; a revocation
 * holds in every isolate from the moment the admin API answers; usage is
 * exact 5 s after the last answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, burst, count, type Edge, originRequests, startEdge } from "./support/edge";

let edge: Edge;
beforeAll(async () => {
  edge = await startEdge();
}, 60_000);
afterAll(() => edge?.stop());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const marker = () => `m${crypto.randomUUID().replaceAll("-", "")}`;

interface Key {
  id: string;
  key: string;
}

/** An account with these settings and `n` keys (each with `keyInput`). */
async function accountWithKeys(settings: Record<string, unknown>, n: number, keyInput: Record<string, unknown> = {}) {
  const account = await admin<{ id: string }>(edge, "POST", "/accounts", { name: "Edge", ...settings });
  const keys: Key[] = [];
  for (let i = 0; i < n; i++) {
    keys.push(await admin<Key>(edge, "POST", `/accounts/${account.id}/keys`, { name: `k${i}`, ...keyInput }));
  }
  return { account, keys };
}

/**
 * Sends `n` requests, then, as a client honouring Retry-After does, sends
 * each refused one again once its Retry-After has passed, while that is at
 * most 5 s (budget held elsewhere that may come back); a longer one is the
 * window's or the period's end, and that client stops. Returns every
 * answer and every Retry-After given.
 */
async function honouringRetryAfter(keys: Key[], n: number, inFlight: number, path: string) {
  const answers: Response[] = [];
  const retryAfters: number[] = [];
  let pending = n;
  for (let attempt = 0; pending > 0 && attempt < 10; attempt++) {
    const responses = await burst(
      edge,
      keys.map((k) => k.key),
      pending,
      inFlight,
      path,
    );
    answers.push(...responses);
    const refused = responses.filter((r) => r.status === 429);
    const waits = refused.map((r) => Number(r.headers.get("retry-after")));
    retryAfters.push(...waits);
    const soon = waits.filter((s) => s <= 5);
    pending = soon.length;
    if (pending > 0) await sleep(Math.max(...soon) * 1000);
  }
  return { answers, retryAfters };
}

describe("across eight isolates and one location", () => {
  it("admits exactly a key's limit, however its requests are spread, and says honestly when to retry", async () => {
    const { keys } = await accountWithKeys({}, 1, { rateLimit: { limit: 30, windowSeconds: 60 } });
    const m = marker();
    const { answers, retryAfters } = await honouringRetryAfter(keys, 120, 24, `/v1/domains/${m}`);
    expect(count(answers, 200)).toBe(30);
    expect(await originRequests(edge, m)).toHaveLength(30);
    // Each refusal either says budget may come back within 5 s, or points at the window's end.
    expect(retryAfters.every((s) => s >= 1 && (s <= 5 || s >= 50))).toBe(true);
  }, 60_000);

  it("admits exactly the account's shared limit over its keys and the isolates", async () => {
    const { keys } = await accountWithKeys({ sharedRateLimit: { limit: 25, windowSeconds: 60 } }, 5, {
      rateLimit: { limit: 100_000, windowSeconds: 60 },
    });
    const m = marker();
    const { answers } = await honouringRetryAfter(keys, 100, 20, `/v1/domains/${m}`);
    expect(count(answers, 200)).toBe(25);
    expect(await originRequests(edge, m)).toHaveLength(25);
  }, 60_000);

  it("admits exactly a daily quota of 100 over 4 keys at 40 in flight: no unit is stranded, no refusal points at midnight while units may come back", async () => {
    const { account, keys } = await accountWithKeys({ quota: { limit: 100, period: "day" } }, 4, {
      rateLimit: { limit: 100_000, windowSeconds: 60 },
    });
    const m = marker();
    const { answers, retryAfters } = await honouringRetryAfter(keys, 300, 40, `/v1/domains/${m}`);
    expect(count(answers, 200)).toBe(100);
    expect(await originRequests(edge, m)).toHaveLength(100);
    const midnight = Math.ceil(Date.now() / 86_400_000) * 86_400 - Date.now() / 1000;
    expect(retryAfters.every((s) => s <= 5 || Math.abs(s - midnight) < 30)).toBe(true);
    const got = await admin<{ quotaUsage: { used: number } }>(edge, "GET", `/accounts/${account.id}`);
    expect(got.quotaUsage.used).toBe(100);
  }, 60_000);

  it("refuses a revoked key in every isolate from the moment the admin API answers, while every isolate holds leases", async () => {
    const { account, keys } = await accountWithKeys({}, 1, { rateLimit: { limit: 1_000_000, windowSeconds: 60 } });
    const [key] = keys as [Key];
    // Busy everywhere: leases in the holder and in the isolates.
    const warm = await burst(edge, [key.key], 600, 16);
    expect(count(warm, 200)).toBe(600);
    const during = burst(edge, [key.key], 400, 8);
    const started = Date.now();
    await admin(edge, "DELETE", `/accounts/${account.id}/keys/${key.id}`);
    const answeredAt = Date.now();
    console.log(`revocation answered in ${answeredAt - started} ms`);
    const after = await burst(edge, [key.key], 200, 16);
    expect(count(after, 401)).toBe(200);
    await during;
  }, 60_000);

  it("counts usage exactly within 5 s of the last answer, whichever isolate answered", async () => {
    const { account, keys } = await accountWithKeys({}, 3, { rateLimit: { limit: 1_000_000, windowSeconds: 60 } });
    const answers = await burst(
      edge,
      keys.map((k) => k.key),
      450,
      12,
    );
    expect(count(answers, 200)).toBe(450);
    await sleep(5_000);
    const usage = await admin<{ rows: Array<{ admitted: number }> }>(edge, "GET", `/accounts/${account.id}/usage`);
    expect(usage.rows.reduce((n, row) => n + row.admitted, 0)).toBe(450);
  }, 60_000);
});
