/**
 * The gate's side of idempotent requests (src/idempotency/book.ts) over
 * in-memory rows and a real Ledger, with the time as an input: how a claim
 * combines with the request's decision (what counts, what is marked), how
 * an answer settles, and how the sweep removes expired entries in bounded
 * steps that start at most once an hour.
 */
import { describe, expect, it } from "vitest";
import { Ledger } from "../../src/gate/ledger";
import { PolicyBook } from "../../src/gate/policies";
import type { AccountPolicy } from "../../src/gate/policy";
import { IdempotencyBook, type IdempotencyRows, SWEEP } from "../../src/idempotency/book";
import type { ClaimRequest, KeptAnswer } from "../../src/idempotency/protocol";
import type { Entry } from "../../src/idempotency/rules";
import { accountPolicy, keyPolicy } from "../support/unit/policies";

const T0 = Date.UTC(2027, 5, 15, 12, 0, 0);
const SETTINGS = { ttlMs: 86_400_000, markMs: 70_000 };
const answer: KeptAnswer = { status: 200, statusText: "OK", headers: [], body: new Uint8Array([7]) };

/** The gate's rows, in a Map (listed in key order, as the synchronous KV API lists them). */
class MemoryRows implements IdempotencyRows {
  readonly rows = new Map<string, Entry>();
  readIdempotency(key: string) {
    return this.rows.get(key);
  }
  writeIdempotency(key: string, entry: Entry) {
    this.rows.set(key, entry);
  }
  deleteIdempotency(key: string) {
    this.rows.delete(key);
  }
  *listIdempotency(after: string | undefined, limit: number): Generator<[string, Entry]> {
    const keys = [...this.rows.keys()].sort().filter((key) => after === undefined || key > after);
    for (const key of keys.slice(0, limit)) yield [key, this.rows.get(key) as Entry];
  }
}

/** A gate for one account whose key `key_a` may send 3 requests a minute, under a quota of 2 a day. */
function gate(account: Partial<AccountPolicy> = { quota: { limit: 2, period: "day" } }) {
  const policies = new PolicyBook(accountPolicy(account));
  const rateLimit = { limit: 3, windowSeconds: 60 };
  policies.setKey("key_a", keyPolicy("key_a", { scopes: ["emails:write"], rateLimit }), true);
  const settings = { leaseMs: 4000, defaultRateLimit: rateLimit, persistMs: 10_000 };
  const rows = new MemoryRows();
  return { ledger: new Ledger(policies, settings, undefined, T0), rows, book: new IdempotencyBook(rows, SETTINGS) };
}

const claimOf = (token: string, over: { key?: string; body?: string; scope?: string } = {}): ClaimRequest => ({
  accountId: "acct_a",
  keyId: "key_a",
  scope: over.scope ?? "emails:write",
  cost: 1,
  admit: true,
  want: 0,
  leaseMs: 0,
  idempotency: {
    key: over.key ?? "order-1",
    fingerprint: { method: "POST", path: "/v1/emails", bodySha256: over.body ?? "aa" },
    token,
  },
});

describe("a claim at the gate", () => {
  it("decides a first request as usual, counts it against the limits and the quota, and marks it in flight", () => {
    const { ledger, rows, book } = gate();
    const result = book.claim(ledger, claimOf("t1"), T0);
    expect(result).toMatchObject({ outcome: "ok", idempotency: { kind: "first", token: "t1" } });
    expect(result.outcome === "ok" && result.limits).toMatchObject({ key: { remaining: 2 }, quota: { used: 1 } });
    expect(rows.rows.get("order-1")).toMatchObject({ state: "in_flight", token: "t1", expiresAt: T0 + 70_000 });
  });

  it("answers every concurrent repeat with in_flight, counting none of them", () => {
    const { ledger, book } = gate();
    book.claim(ledger, claimOf("t1"), T0);
    for (const token of ["t2", "t3", "t4", "t5"]) {
      const result = book.claim(ledger, claimOf(token), T0 + 1);
      expect(result).toMatchObject({ outcome: "ok", idempotency: { kind: "in_flight" } });
      expect(result.outcome === "ok" && result.limits.key.remaining).toBe(2);
    }
  });

  it("replays a kept answer counted against the rate limit and not the quota, even with the quota used up", () => {
    const { ledger, book } = gate({ quota: { limit: 1, period: "day" } });
    book.claim(ledger, claimOf("t1"), T0);
    expect(
      book.settle({ accountId: "acct_a", key: "order-1", token: "t1", outcome: { kind: "keep", answer } }, T0 + 5),
    ).toBe(true);
    const replay = book.claim(ledger, claimOf("t2"), T0 + 10);
    expect(replay).toMatchObject({ outcome: "ok", idempotency: { kind: "replay", answer } });
    expect(replay.outcome === "ok" && replay.limits).toMatchObject({ key: { remaining: 1 }, quota: { used: 1 } });
    // A new key is a first request: the quota refuses it, and it is not marked.
    expect(book.claim(ledger, claimOf("t3", { key: "order-2" }), T0 + 20)).toMatchObject({ outcome: "quota_exceeded" });
  });

  it("refuses a repeat over the rate limit with 429 rather than its conflict, and a key without the scope with 403 first", () => {
    const { ledger, book } = gate({ quota: null });
    book.claim(ledger, claimOf("t1"), T0);
    book.claim(ledger, claimOf("t2", { key: "order-2" }), T0);
    book.claim(ledger, claimOf("t3", { key: "order-3" }), T0);
    expect(book.claim(ledger, claimOf("t4"), T0 + 1)).toMatchObject({ outcome: "rate_limited" });
    expect(book.claim(ledger, claimOf("t5", { scope: "domains:write" }), T0 + 1)).toMatchObject({
      outcome: "forbidden",
    });
  });

  it("marks nothing for a refused first request: the same key is a first request once it may pass", () => {
    const { ledger, rows, book } = gate({ quota: null });
    expect(book.claim(ledger, claimOf("t1", { scope: "domains:write" }), T0)).toMatchObject({ outcome: "forbidden" });
    expect(rows.rows.size).toBe(0);
    expect(book.claim(ledger, claimOf("t2"), T0)).toMatchObject({ idempotency: { kind: "first" } });
  });

  it("answers 422's verdict for another body, counting nothing", () => {
    const { ledger, book } = gate();
    book.claim(ledger, claimOf("t1"), T0);
    const reused = book.claim(ledger, claimOf("t2", { body: "bb" }), T0 + 1);
    expect(reused).toMatchObject({ outcome: "ok", idempotency: { kind: "reused", difference: "body" } });
    expect(reused.outcome === "ok" && reused.limits).toMatchObject({ key: { remaining: 2 }, quota: { used: 1 } });
  });

  it("gives a retried claim (the same token) its own mark back, counted once", () => {
    const { ledger, book } = gate();
    book.claim(ledger, claimOf("t1"), T0);
    const again = book.claim(ledger, claimOf("t1"), T0 + 1);
    expect(again).toMatchObject({ outcome: "ok", idempotency: { kind: "first", token: "t1" } });
    expect(again.outcome === "ok" && again.limits).toMatchObject({ key: { remaining: 2 }, quota: { used: 1 } });
  });

  it("forwards the next request once a mark has expired, and ignores the late outcome of the first", () => {
    const { ledger, rows, book } = gate({ quota: null });
    book.claim(ledger, claimOf("t1"), T0);
    expect(book.claim(ledger, claimOf("t2"), T0 + 70_000)).toMatchObject({
      idempotency: { kind: "first", token: "t2" },
    });
    expect(
      book.settle({ accountId: "acct_a", key: "order-1", token: "t1", outcome: { kind: "keep", answer } }, T0 + 70_001),
    ).toBe(false);
    expect(rows.rows.get("order-1")).toMatchObject({ state: "in_flight", token: "t2" });
  });
});

describe("the sweep", () => {
  /** A book holding `count` kept answers, settled at `at`. */
  function withKept(count: number, at: number) {
    const g = gate({ quota: null });
    for (let i = 0; i < count; i++) {
      const key = `order-${String(i).padStart(4, "0")}`;
      g.rows.writeIdempotency(key, {
        state: "in_flight",
        fingerprint: { method: "POST", path: "/", bodySha256: "" },
        token: "t",
        expiresAt: at + 70_000,
      });
      g.book.settle({ accountId: "acct_a", key, token: "t", outcome: { kind: "keep", answer } }, at);
    }
    return g;
  }

  it("is first due when the earliest kept answer expires, and removes expired entries only", () => {
    const { rows, book } = withKept(3, T0);
    book.sweep(T0); // A new gate's first alarm sweeps (the last instance's schedule was in its memory).
    expect(book.nextSweep(T0)).toBe(T0 + 86_400_000);
    expect(book.sweep(T0 + 86_399_999)).toBeUndefined();
    rows.writeIdempotency("late", {
      state: "not_kept",
      fingerprint: { method: "POST", path: "/", bodySha256: "" },
      reason: "too_large",
      expiresAt: T0 + 90_000_000,
    });
    expect(book.sweep(T0 + 86_400_000)).toEqual({ read: 4, deleted: 3, done: true });
    expect([...rows.rows.keys()]).toEqual(["late"]);
  });

  it("reads at most SWEEP.rows entries per alarm, and goes on a second later until the pass is done", () => {
    const { rows, book } = withKept(SWEEP.rows + 50, T0);
    const at = T0 + 86_400_000;
    expect(book.sweep(at)).toEqual({ read: SWEEP.rows, deleted: SWEEP.rows, done: false });
    expect(book.nextSweep(at)).toBe(at + 1_000);
    expect(book.sweep(at + 1_000)).toEqual({ read: 50, deleted: 50, done: true });
    expect(rows.rows.size).toBe(0);
    expect(book.nextSweep(at + 1_000)).toBeUndefined();
  });

  it("starts passes at most once an hour, however soon entries expire", () => {
    const { ledger, book } = gate({ quota: null });
    book.sweep(T0);
    book.claim(ledger, claimOf("t1"), T0 + 1_000);
    // The mark expires 70 s on, but the last pass started at T0.
    expect(book.nextSweep(T0 + 1_000)).toBe(T0 + SWEEP.everyMs);
  });
});
