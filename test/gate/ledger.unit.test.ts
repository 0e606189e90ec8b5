/**
 * The account gate's rules (src/gate/ledger.ts) with the clock as an input:
 * no runtime, no storage, no sleep. Every instant below is a number.
 */
import { describe, expect, it } from "vitest";
import { Ledger, type LedgerSettings } from "../../src/gate/ledger";
import { PolicyBook } from "../../src/gate/policies";
import type { AccountPolicy, KeyPolicy } from "../../src/gate/policy";
import type { CheckRequest } from "../../src/gate/protocol";
import { accountPolicy, keyPolicy } from "../support/unit/policies";

const T0 = Date.UTC(2027, 5, 15, 12, 0, 0);
const SETTINGS: LedgerSettings = {
  leaseMs: 4000,
  defaultRateLimit: { limit: 100, windowSeconds: 60 },
  persistMs: 10_000,
};

/** A ledger for one account holding these keys' policies. */
function ledgerWith(accountOver: Partial<AccountPolicy>, keys: KeyPolicy[], now = T0) {
  const book = new PolicyBook(accountPolicy(accountOver));
  for (const key of keys) book.setKey(key.id, key, true);
  return new Ledger(book, SETTINGS, undefined, now);
}

const ask = (keyId: string, over: Partial<CheckRequest> = {}): CheckRequest => ({
  accountId: "acct_a",
  keyId,
  scope: "domains:read",
  cost: 1,
  admit: true,
  want: 0,
  leaseMs: 0,
  ...over,
});

describe("the ledger", () => {
  it("refuses a key that is unknown, revoked, expired, of a disabled account or of another account (401)", () => {
    const ledger = ledgerWith({}, [
      keyPolicy("key_live"),
      keyPolicy("key_expired", { expiresAt: T0 }),
      keyPolicy("key_other", { accountId: "acct_b" }),
    ]);
    ledger.policies.revoke("key_live");
    for (const id of ["key_unknown", "key_live", "key_expired", "key_other"]) {
      expect(ledger.check(ask(id), T0)).toEqual({ outcome: "unauthorized" });
    }
    const disabled = ledgerWith({ disabled: true }, [keyPolicy("key_a")]);
    expect(disabled.check(ask("key_a"), T0)).toEqual({ outcome: "unauthorized" });
  });

  it("decides scope, then the key's limit, then the shared limit, then the quota, and counts a refusal against none", () => {
    const ledger = ledgerWith({ shared: { limit: 3, windowSeconds: 60 }, quota: { limit: 2, period: "day" } }, [
      keyPolicy("key_a", { scopes: ["domains:read"], rateLimit: { limit: 5, windowSeconds: 60 } }),
      keyPolicy("key_b"),
    ]);
    expect(ledger.check(ask("key_a", { scope: "messages:write" }), T0).outcome).toBe("forbidden");
    expect(ledger.check(ask("key_a"), T0).outcome).toBe("ok");
    expect(ledger.check(ask("key_b"), T0).outcome).toBe("ok");
    // The quota (2) is spent; a free route still passes and counts against the limits.
    expect(ledger.check(ask("key_a"), T0)).toMatchObject({ outcome: "quota_exceeded" });
    expect(ledger.check(ask("key_a", { cost: 0 }), T0).outcome).toBe("ok");
    // The shared limit (3) is spent now: 429 for the account before the quota is even looked at.
    expect(ledger.check(ask("key_b", { cost: 0 }), T0)).toMatchObject({ outcome: "rate_limited", policy: "account" });
    const rows = ledger.live().rows;
    const of = (keyId: string) => rows.find((row) => row.keyId === keyId);
    expect(of("key_a")).toMatchObject({ admitted: 2, forbidden: 1, quotaExceeded: 1, rateLimited: 0 });
    expect(of("key_b")).toMatchObject({ admitted: 1, rateLimited: 1 });
    expect(ledger.quotaUsage(T0)).toEqual({ used: 2, resetAt: Date.UTC(2027, 5, 16) });
  });

  it("starts a day's quota from zero at 00:00 UTC and a month's on the 1st, computed from the clock", () => {
    const day = ledgerWith({ quota: { limit: 1, period: "day" } }, [keyPolicy("key_a")]);
    const lastMs = Date.UTC(2027, 5, 15, 23, 59, 59, 999);
    expect(day.check(ask("key_a"), lastMs).outcome).toBe("ok");
    expect(day.check(ask("key_a"), lastMs).outcome).toBe("quota_exceeded");
    expect(day.check(ask("key_a"), Date.UTC(2027, 5, 16)).outcome).toBe("ok");
    const month = ledgerWith({ quota: { limit: 1, period: "month" } }, [keyPolicy("key_a")]);
    expect(month.check(ask("key_a"), Date.UTC(2028, 1, 29, 23, 59, 59)).outcome).toBe("ok");
    expect(month.check(ask("key_a"), Date.UTC(2028, 1, 29, 23, 59, 59)).outcome).toBe("quota_exceeded");
    expect(month.check(ask("key_a"), Date.UTC(2028, 2, 1)).outcome).toBe("ok");
  });

  it("grants a lease of at most a tenth of what remains, counted at once and stamped at its expiry", () => {
    const ledger = ledgerWith({}, [keyPolicy("key_a", { rateLimit: { limit: 100, windowSeconds: 60 } })]);
    const granted = ledger.check(ask("key_a", { want: 50, leaseMs: 2000 }), T0);
    expect(granted).toMatchObject({ outcome: "ok", lease: { tokens: 9, expiresAt: T0 + 2000 } });
    expect(ledger.check(ask("key_a"), T0)).toMatchObject({ limits: { key: { remaining: 89 } } });
    // The leased tokens leave the window a full window after the lease's expiry (rounded up to its 60 ms bucket).
    expect(ledger.check(ask("key_a", { admit: false }), T0 + 60_000)).toMatchObject({
      limits: { key: { remaining: 91 } },
    });
    expect(ledger.check(ask("key_a", { admit: false }), T0 + 62_100)).toMatchObject({
      limits: { key: { remaining: 100 } },
    });
  });

  it("never lets a lease outlive the key's expiry, LEASE_MS, or the quota period its units were counted in", () => {
    const ledger = ledgerWith({ quota: { limit: 1000, period: "day" } }, [
      keyPolicy("key_a", { expiresAt: T0 + 1500 }),
      keyPolicy("key_b"),
    ]);
    expect(ledger.check(ask("key_a", { want: 5, leaseMs: 4000 }), T0)).toMatchObject({
      lease: { expiresAt: T0 + 1500 },
    });
    expect(ledger.check(ask("key_b", { want: 5, leaseMs: 60_000 }), T0)).toMatchObject({
      lease: { expiresAt: T0 + 4000 },
    });
    const midnight = Date.UTC(2027, 5, 16);
    const late = ledger.check(ask("key_b", { want: 5, leaseMs: 4000 }), midnight - 500);
    expect(late).toMatchObject({ lease: { expiresAt: midnight, periodStart: Date.UTC(2027, 5, 15) } });
    // A free request's lease counts no units, so it is not bound to the period.
    expect(ledger.check(ask("key_b", { want: 5, leaseMs: 4000, cost: 0 }), midnight - 500)).toMatchObject({
      lease: { expiresAt: midnight + 3500, units: 0 },
    });
  });

  it("gives back what a lease did not use, but units of a period that has ended stay in it", () => {
    const ledger = ledgerWith({ quota: { limit: 100, period: "day" } }, [keyPolicy("key_a")]);
    const granted = ledger.check(ask("key_a", { want: 5, leaseMs: 1000 }), T0);
    if (granted.outcome !== "ok" || !granted.lease) throw new Error("expected a lease");
    const { tokens, units, keyBucket, periodStart } = granted.lease;
    expect(ledger.quotaUsage(T0)?.used).toBe(1 + units);
    ledger.report({ accountId: "acct_a", release: [{ keyId: "key_a", tokens, units, keyBucket, periodStart }] }, T0);
    expect(ledger.quotaUsage(T0)?.used).toBe(1);
    expect(ledger.check(ask("key_a", { admit: false }), T0)).toMatchObject({ limits: { key: { remaining: 99 } } });
    // Next day: a release naming yesterday's period changes nothing today.
    const tomorrow = Date.UTC(2027, 5, 16, 1);
    ledger.check(ask("key_a"), tomorrow);
    ledger.report(
      { accountId: "acct_a", release: [{ keyId: "key_a", tokens: 0, units: 1, keyBucket, periodStart }] },
      tomorrow,
    );
    expect(ledger.quotaUsage(tomorrow)?.used).toBe(1);
  });

  it("says when budget held by live leases may come back (at most 5 s away), and the window's reset once they have ended", () => {
    const ledger = ledgerWith({}, [keyPolicy("key_a", { rateLimit: { limit: 20, windowSeconds: 60 } })]);
    const granted = ledger.check(ask("key_a", { want: 10, leaseMs: 2000 }), T0);
    expect(granted).toMatchObject({ lease: { tokens: 1 } });
    for (let i = 0; i < 18; i++) ledger.check(ask("key_a"), T0);
    const held = ledger.check(ask("key_a"), T0 + 100);
    expect(held).toMatchObject({ outcome: "rate_limited", policy: "key", heldUntil: T0 + 3000 });
    expect(ledger.check(ask("key_a"), T0 + 1999)).toMatchObject({ outcome: "rate_limited", heldUntil: T0 + 3000 });
    // Once the lease has ended nothing is held: the refusal points at the window's reset.
    const ended = ledger.check(ask("key_a"), T0 + 2001);
    expect(ended).toMatchObject({ outcome: "rate_limited", limits: { key: { resetAt: T0 + 60_000 } } });
    expect(ended.outcome === "rate_limited" && "heldUntil" in ended).toBe(false);
  });

  it("makes a rotated key's successor share its budget: rotation never multiplies a limit", () => {
    const limit = { limit: 3, windowSeconds: 60 };
    const ledger = ledgerWith({}, [
      keyPolicy("key_old", { rateLimit: limit }),
      keyPolicy("key_new", { rateLimit: limit }),
    ]);
    for (let i = 0; i < 3; i++) expect(ledger.check(ask("key_old"), T0).outcome).toBe("ok");
    ledger.capExpiry("key_old", 3_600_000, T0);
    ledger.policies.share("key_new", "key_old");
    expect(ledger.check(ask("key_new"), T0 + 1)).toMatchObject({ outcome: "rate_limited", policy: "key" });
    // And a second rotation shares the same budget.
    ledger.policies.share("key_newer", "key_new");
    expect(ledger.policies.budgetOf("key_newer")).toBe("key_old");
    expect(ledger.check(ask("key_new"), T0 + 60_001).outcome).toBe("ok");
    expect(ledger.check(ask("key_old"), T0 + 60_001).outcome).toBe("ok");
  });

  it("fences a change until the last lease granted for the key (or the account) has ended", () => {
    const ledger = ledgerWith({}, [keyPolicy("key_a"), keyPolicy("key_b")]);
    expect(ledger.fenceForKey("key_a")).toBe(0);
    ledger.check(ask("key_a", { want: 5, leaseMs: 3000 }), T0);
    expect(ledger.fenceForKey("key_a")).toBe(T0 + 3000);
    expect(ledger.fenceForKey("key_b")).toBe(0);
    expect(ledger.fenceForAccount()).toBe(T0 + 3000);
    // A rotation's grace starts when the old key's leases have ended.
    expect(ledger.capExpiry("key_a", 1000, T0)).toEqual({ expiresAt: T0 + 3000, fenceUntil: T0 + 2000 });
    expect(ledger.capExpiry("key_b", 1000, T0)).toEqual({ expiresAt: T0 + 1000, fenceUntil: T0 });
  });

  it("restored from a snapshot keeps its counts, and after a recent persist fences LEASE_MS for leases it may have forgotten", () => {
    const ledger = ledgerWith({ quota: { limit: 10, period: "day" } }, [
      keyPolicy("key_a", { rateLimit: { limit: 2, windowSeconds: 60 } }),
    ]);
    ledger.check(ask("key_a"), T0);
    ledger.check(ask("key_a"), T0);
    const snapshot = ledger.snapshot(T0);
    const restarted = new Ledger(ledger.policies, SETTINGS, JSON.parse(JSON.stringify(snapshot)), T0 + 5000);
    expect(restarted.check(ask("key_a"), T0 + 5000)).toMatchObject({ outcome: "rate_limited" });
    expect(restarted.quotaUsage(T0 + 5000)?.used).toBe(2);
    expect(restarted.fenceForKey("key_a")).toBe(T0 + 5000 + SETTINGS.leaseMs);
    const muchLater = new Ledger(ledger.policies, SETTINGS, snapshot, T0 + 60_000);
    expect(muchLater.fenceForKey("key_a")).toBe(0);
  });

  it("drops a window from its snapshot once it has drained", () => {
    const ledger = ledgerWith({}, [keyPolicy("key_a")]);
    ledger.check(ask("key_a"), T0);
    expect(Object.keys(ledger.snapshot(T0).windows)).toEqual(["key_a"]);
    expect(Object.keys(ledger.snapshot(T0 + 61_000).windows)).toEqual([]);
  });

  it("makes quota.warning due at 80 % and quota.exhausted at 100 %, each once per period", () => {
    const ledger = ledgerWith({ quota: { limit: 5, period: "day" } }, [keyPolicy("key_a")]);
    const due = (now: number) => ledger.dueQuotaEvents(now).map((event) => event.type);
    for (let i = 0; i < 3; i++) ledger.check(ask("key_a"), T0);
    expect(due(T0)).toEqual([]);
    ledger.check(ask("key_a"), T0);
    expect(due(T0)).toEqual(["quota.warning"]);
    ledger.quotaNoticed("quota.warning", Date.UTC(2027, 5, 15));
    ledger.check(ask("key_a"), T0);
    expect(due(T0)).toEqual(["quota.exhausted"]);
    ledger.quotaNoticed("quota.exhausted", Date.UTC(2027, 5, 15));
    expect(due(T0)).toEqual([]);
  });

  it("takes in a caller's usage report and last use, and rolls up only what changed since", () => {
    const ledger = ledgerWith({}, [keyPolicy("key_a")]);
    const hour = Date.UTC(2027, 5, 15, 12);
    ledger.report(
      {
        accountId: "acct_a",
        report: { key_a: { hours: { [hour]: { admitted: 4, origin2xx: 4 } }, lastUsedAt: T0 + 10 } },
      },
      T0 + 20,
    );
    expect(ledger.live()).toEqual({
      rows: [expect.objectContaining({ keyId: "key_a", hour, admitted: 4, origin2xx: 4 })],
      lastUsed: { key_a: T0 + 10 },
    });
    const batch = ledger.takeRollup();
    expect(batch.rows).toHaveLength(1);
    expect(batch.lastUsed).toEqual([{ keyId: "key_a", at: T0 + 10 }]);
    ledger.rolledUp(batch, T0 + 30);
    expect(ledger.takeRollup()).toEqual({ rows: [], lastUsed: [] });
    expect(ledger.usage.earliestDirtyHour()).toBeUndefined();
  });
});

describe("the ledger's restrictions and test keys (CONTRACT §8)", () => {
  const restricted = keyPolicy("key_r", {
    scopes: ["emails:write"],
    rateLimit: { limit: 2, windowSeconds: 60 },
    allowedIps: ["203.0.113.0/24"],
    allowedSenderDomains: ["acme.test"],
  });
  const sending = (over: Partial<CheckRequest> = {}) =>
    ask("key_r", { scope: "emails:write", clientIp: "203.0.113.7", sending: true, senders: ["acme.test"], ...over });

  it("decides scope, then the client's address, then the senders, then the limits, and counts a 403 against none", () => {
    const ledger = ledgerWith({ quota: { limit: 10, period: "day" } }, [restricted]);
    expect(ledger.check(sending({ scope: "domains:write", clientIp: "10.0.0.1" }), T0)).toMatchObject({
      outcome: "forbidden",
      reason: "scope",
    });
    expect(ledger.check(sending({ clientIp: "10.0.0.1", senders: ["evil.test"] }), T0)).toMatchObject({
      outcome: "forbidden",
      reason: "ip",
    });
    expect(ledger.check(sending({ clientIp: null }), T0)).toMatchObject({ reason: "ip" });
    expect(ledger.check(sending({ senders: ["acme.test", "evil.test"] }), T0)).toMatchObject({ reason: "sender" });
    // Not a sending route: the senders are not asked for.
    expect(ledger.check(sending({ sending: false, senders: undefined }), T0).outcome).toBe("ok");
    expect(ledger.check(sending({ senders: ["mail.acme.test"] }), T0).outcome).toBe("ok");
    expect(ledger.check(sending(), T0)).toMatchObject({ outcome: "rate_limited", allowedIps: ["203.0.113.0/24"] });
    expect(ledger.live().rows[0]).toMatchObject({ admitted: 2, forbidden: 4, rateLimited: 1 });
    expect(ledger.quotaUsage(T0)?.used).toBe(2);
  });

  it("needs the senders of a sending request it was not given: decided not at all, counted nowhere", () => {
    const ledger = ledgerWith({}, [restricted]);
    expect(ledger.check(sending({ senders: undefined, want: 5, leaseMs: 1000 }), T0)).toEqual({
      outcome: "needs_senders",
    });
    expect(ledger.live().rows).toEqual([]);
    expect(ledger.check(sending({ admit: false }), T0)).toMatchObject({ limits: { key: { remaining: 2 } } });
  });

  it("hands a lease the key's restrictions beside its scopes, and nothing for an unrestricted key", () => {
    const ledger = ledgerWith({}, [{ ...restricted, rateLimit: null }, keyPolicy("key_free")]);
    expect(ledger.check(sending({ want: 5, leaseMs: 1000 }), T0)).toMatchObject({
      lease: { scopes: ["emails:write"], allowedIps: ["203.0.113.0/24"], allowedSenderDomains: ["acme.test"] },
    });
    const free = ledger.check(ask("key_free", { want: 5, leaseMs: 1000 }), T0);
    if (free.outcome !== "ok" || !free.lease) throw new Error("expected a lease");
    expect(Object.keys(free.lease)).not.toContain("allowedIps");
    expect(Object.keys(free.lease)).not.toContain("allowedSenderDomains");
  });

  it("never counts a test key's requests against the quota, nor refuses them by it, and shows them no quota", () => {
    const ledger = ledgerWith({ quota: { limit: 1, period: "day" } }, [
      keyPolicy("key_live"),
      keyPolicy("key_test", { mode: "test", rateLimit: { limit: 20, windowSeconds: 60 } }),
    ]);
    expect(ledger.check(ask("key_live"), T0).outcome).toBe("ok");
    expect(ledger.check(ask("key_live"), T0).outcome).toBe("quota_exceeded");
    const test = ledger.check(ask("key_test", { want: 5, leaseMs: 1000 }), T0);
    expect(test).toMatchObject({ outcome: "ok", lease: { units: 0 } });
    if (test.outcome !== "ok") throw new Error("expected ok");
    expect(test.limits.quota).toBeUndefined();
    expect(test.lease?.periodStart).toBeUndefined();
    // Its rate limit still counts it, the leased token included: 1 + 1 + 18 = 20.
    expect(test.lease?.tokens).toBe(1);
    for (let i = 0; i < 18; i++) expect(ledger.check(ask("key_test"), T0).outcome).toBe("ok");
    expect(ledger.check(ask("key_test"), T0)).toMatchObject({ outcome: "rate_limited", policy: "key" });
    expect(ledger.quotaUsage(T0)?.used).toBe(1);
  });
});
