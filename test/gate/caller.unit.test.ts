/**
 * A lease-holding caller of the gate (src/gate/caller.ts, src/gate/leases.ts):
 * an isolate, or a location's holder. Its upstream here is a plain object
 * that answers as a gate would, recording what it was asked; time is faked,
 * never waited for.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type CallerContext, LeaseCaller, type Upstream } from "../../src/gate/caller";
import { LeaseBook } from "../../src/gate/leases";
import type { CheckRequest, CheckResult, Lease, Limits, ReportRequest } from "../../src/gate/protocol";

const T0 = Date.UTC(2027, 5, 15, 12, 0, 0);
const LIMITS: Limits = { key: { limit: 1000, windowSeconds: 60, remaining: 900, resetAt: T0 + 60_000 } };
const lease = (over: Partial<Lease> = {}): Lease => ({
  tokens: 10,
  units: 0,
  expiresAt: Date.now() + 4000,
  scopes: ["*"],
  keyBucket: T0 + 4000,
  ...over,
});

/** An upstream that answers each call with `answer(request)`, and remembers the calls. */
function fakeUpstream(answer: (request: CheckRequest) => CheckResult) {
  const checks: CheckRequest[] = [];
  const reports: ReportRequest[] = [];
  const upstream: Upstream = {
    check: async (request) => {
      checks.push(structuredClone(request));
      return answer(request);
    },
    report: async (request) => {
      reports.push(structuredClone(request));
    },
  };
  return { upstream, checks, reports };
}

function contextFor(upstream: Upstream): CallerContext & { pending: Promise<unknown>[] } {
  const pending: Promise<unknown>[] = [];
  return {
    pending,
    upstream: () => upstream,
    later: () => ({ upstream, done: () => undefined }),
    background: (work) => pending.push(work),
    maxLeaseMs: 4000,
  };
}

const key = { keyId: "key_a", accountId: "acct_a" };
const need = { scope: "domains:read", cost: 1 };

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("a lease-holding caller", () => {
  it("asks upstream when it holds nothing, then answers from the lease it was given without a call", async () => {
    const { upstream, checks } = fakeUpstream(() => ({ outcome: "ok", limits: LIMITS, lease: lease({ tokens: 3 }) }));
    const caller = new LeaseCaller(new LeaseBook());
    const ctx = contextFor(upstream);
    const first = await caller.decide(ctx, key, need, Date.now());
    expect(first).toMatchObject({ outcome: "ok", source: "upstream" });
    for (let i = 0; i < 3; i++) expect(caller.decide(ctx, key, need, Date.now())).toMatchObject({ source: "lease" });
    expect(checks).toHaveLength(1);
    // The lease is spent: the next request asks again.
    await caller.decide(ctx, key, need, Date.now());
    expect(checks).toHaveLength(2);
  });

  it("repeats a 429 without a call until its Retry-After (at most a minute), but answers 403 first for a scope the key lacks", async () => {
    const { upstream, checks } = fakeUpstream(() => ({
      outcome: "quota_exceeded",
      limits: {
        ...LIMITS,
        quota: { limit: 5, period: "day", periodSeconds: 86_400, used: 5, resetAt: T0 + 43_200_000 },
      },
      scopes: ["domains:read"],
    }));
    const caller = new LeaseCaller(new LeaseBook());
    const ctx = contextFor(upstream);
    // The account's 429 is repeated for a key whose rules the caller knows (its cached record's).
    const known = { ...key, rules: { scopes: ["domains:read"] } };
    expect(await caller.decide(ctx, known, need, Date.now())).toMatchObject({
      outcome: "quota_exceeded",
      source: "upstream",
    });
    expect(caller.decide(ctx, known, need, Date.now())).toMatchObject({ outcome: "quota_exceeded", source: "blocked" });
    expect(caller.decide(ctx, known, { scope: "messages:write", cost: 1 }, Date.now())).toMatchObject({
      outcome: "forbidden",
      source: "blocked",
    });
    // A free request is never refused by the quota: it asks.
    await caller.decide(ctx, known, { scope: "domains:read", cost: 0 }, Date.now());
    expect(checks).toHaveLength(2);
    // Without the key's own rules (another key's 429 cannot say what this key may do) it asks.
    await caller.decide(ctx, key, need, Date.now());
    expect(checks).toHaveLength(3);
    vi.setSystemTime(T0 + 60_001);
    await caller.decide(ctx, known, need, Date.now());
    expect(checks).toHaveLength(4);
  });

  it("renews a lease ahead of its end while the key is in use, so a steady key never finds it gone", async () => {
    let granted = 0;
    const { upstream, checks } = fakeUpstream(() => {
      granted++;
      return { outcome: "ok", limits: LIMITS, lease: lease({ tokens: 100, expiresAt: Date.now() + 4000 }) };
    });
    const caller = new LeaseCaller(new LeaseBook());
    const ctx = contextFor(upstream);
    await caller.decide(ctx, key, need, Date.now());
    // A request every 500 ms for 12 s: one renewal per lease, a second before each ends, and no request asks.
    for (let t = 500; t <= 12_000; t += 500) {
      await vi.advanceTimersByTimeAsync(500);
      expect(caller.decide(ctx, key, need, Date.now())).toMatchObject({ source: "lease" });
    }
    expect(granted).toBe(checks.length);
    expect(checks.filter((c) => c.admit)).toHaveLength(1);
    expect(checks.filter((c) => !c.admit).length).toBeGreaterThanOrEqual(3);
  });

  it("settles what it owes half a second after the lease of a key no longer in use has ended", async () => {
    const { upstream, reports } = fakeUpstream(() => ({ outcome: "ok", limits: LIMITS, lease: lease({ tokens: 5 }) }));
    const caller = new LeaseCaller(new LeaseBook());
    const ctx = contextFor(upstream);
    await caller.decide(ctx, key, need, Date.now());
    caller.decide(ctx, key, need, Date.now());
    await vi.advanceTimersByTimeAsync(4499);
    expect(reports).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(2);
    expect(reports).toHaveLength(1);
    const [report] = reports as [ReportRequest];
    // Three of the five leased tokens were never used: they go back, and the one request answered from the lease is reported.
    expect(report.release).toEqual([expect.objectContaining({ keyId: "key_a", tokens: 4 })]);
    expect(Object.values(report.report?.key_a?.hours ?? {})).toEqual([{ admitted: 1 }]);
  });

  it("puts back what a failed call carried, so the next call carries it", async () => {
    let fail = true;
    const { upstream, checks } = fakeUpstream(() => {
      if (fail) throw new Error("unreachable");
      return { outcome: "ok", limits: LIMITS };
    });
    const book = new LeaseBook();
    const caller = new LeaseCaller(book);
    const ctx = contextFor(upstream);
    book.recordUsage(book.stateOf("key_a", "acct_a", Date.now()), "origin2xx", Date.now());
    await expect(caller.decide(ctx, key, need, Date.now())).rejects.toThrow("unreachable");
    fail = false;
    await caller.decide(ctx, key, need, Date.now());
    expect(checks[1]?.report?.key_a).toBeDefined();
  });
});

describe("handing a lease on (a location holder to its isolates)", () => {
  it("gives at most half of what it holds, in the same buckets, never past the lease's end or 3 s", () => {
    const book = new LeaseBook();
    const state = book.stateOf("key_a", "acct_a", Date.now());
    state.leases.push({
      ...lease({ tokens: 10, expiresAt: Date.now() + 4000 }),
      limits: LIMITS,
      granted: 10,
      grantedAt: Date.now(),
    });
    const part = book.subLease(state, 8, 4000, Date.now());
    expect(part).toMatchObject({ tokens: 5, keyBucket: T0 + 4000, expiresAt: Date.now() + 3000 });
    expect(state.leases[0]?.tokens).toBe(5);
    const short = book.subLease(state, 8, 4000, Date.now() + 3500);
    expect(short).toMatchObject({ tokens: 2, expiresAt: Date.now() + 4000 });
    expect(book.subLease(state, 8, 4000, Date.now() + 4000)).toBeUndefined();
  });

  it("gives units of a quota with its tokens, in its period, and keeps what remains", () => {
    const book = new LeaseBook();
    const state = book.stateOf("key_a", "acct_a", Date.now());
    state.cost = 2;
    state.leases.push({
      ...lease({ tokens: 6, units: 12, periodStart: Date.UTC(2027, 5, 15) }),
      limits: LIMITS,
      granted: 6,
      grantedAt: Date.now(),
    });
    expect(book.subLease(state, 2, 1000, Date.now())).toMatchObject({
      tokens: 2,
      units: 4,
      periodStart: Date.UTC(2027, 5, 15),
    });
    expect(state.leases[0]).toMatchObject({ tokens: 4, units: 8 });
  });
});
