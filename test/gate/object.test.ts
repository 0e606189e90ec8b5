import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type AccountGate, PERSIST_MS } from "../../src/gate/object";
import type { CheckRequest } from "../../src/gate/protocol";
import { accountWithKey, admin, createKey } from "../support/helpers";

const gateOf = (accountId: string) => env.RATE_LIMITER.getByName(accountId);
const request = (accountId: string, keyId: string, extra: Partial<CheckRequest> = {}): CheckRequest => ({
  accountId,
  keyId,
  scope: "domains:read",
  cost: 1,
  admit: true,
  want: 0,
  leaseMs: 0,
  ...extra,
});
/** The gate's decision, without the time it says it spent (`tookMs`, checked on its own below). */
const ask = async (accountId: string, keyId: string, extra: Partial<CheckRequest> = {}) => {
  const { tookMs: _tookMs, ...decision } = await gateOf(accountId).check(request(accountId, keyId, extra));
  return decision;
};
const stored = (accountId: string, row: string) =>
  runInDurableObject(gateOf(accountId), (_: AccountGate, state) => state.storage.kv.get(row));
const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0);

/** The key windows the gate persisted (its `counts` row), by budget (a key's own id unless it shares one). */
const persistedWindows = async (accountId: string) =>
  ((await stored(accountId, "counts")) as { windows: Record<string, { counts: number[] }> } | undefined)?.windows ?? {};

afterEach(() => {
  vi.useRealTimers();
});

describe("the account gate", () => {
  it("says how long it spent on a call, its start and D1 reads included, so a caller can tell its distance from its work", async () => {
    const { account, key } = await accountWithKey();
    const startedAt = Date.now();
    const first = await gateOf(account.id).check(request(account.id, key.id));
    const roundTrip = Date.now() - startedAt;
    expect(first.outcome).toBe("ok");
    expect(first.tookMs).toBeGreaterThanOrEqual(0);
    expect(first.tookMs).toBeLessThanOrEqual(roundTrip);
    const second = await gateOf(account.id).check(request(account.id, key.id));
    expect(second.tookMs).toBeGreaterThanOrEqual(0);
    // A ping (an isolate measuring a far gate again, off any request's path) decides and counts nothing.
    const before = await ask(account.id, key.id);
    const pinged = Date.now();
    expect(await gateOf(account.id).ping()).toBeLessThanOrEqual(Date.now() - pinged);
    const after = await ask(account.id, key.id);
    expect(before.outcome === "ok" && after.outcome === "ok").toBe(true);
    if (before.outcome === "ok" && after.outcome === "ok") {
      expect(before.limits.key.remaining - after.limits.key.remaining).toBe(1);
    }
  });

  it("answers unauthorized for a key id D1 does not know, or a key of another account", async () => {
    const { account } = await accountWithKey();
    const other = await accountWithKey();
    expect(await ask(account.id, "key_doesnotexist")).toEqual({ outcome: "unauthorized" });
    expect(await ask(account.id, other.key.id)).toEqual({ outcome: "unauthorized" });
  });

  it("decides status, then scope, then rate limit, in one call", async () => {
    const { account, key } = await accountWithKey({
      scopes: ["domains:read"],
      rateLimit: { limit: 2, windowSeconds: 60 },
    });
    expect((await ask(account.id, key.id, { scope: "messages:read" })).outcome).toBe("forbidden");
    expect((await ask(account.id, key.id)).outcome).toBe("ok");
    expect((await ask(account.id, key.id)).outcome).toBe("ok");
    const limited = await ask(account.id, key.id);
    expect(limited).toMatchObject({
      outcome: "rate_limited",
      policy: "key",
      limits: { key: { limit: 2, windowSeconds: 60, remaining: 0 } },
    });
  });

  it("keeps counts in memory, persisted at once after a quiet spell, else by its alarm, so an eviction after that does not reset the limit", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 3, windowSeconds: 60 } });
    for (let i = 0; i < 3; i++) expect((await ask(account.id, key.id)).outcome).toBe("ok");
    // The first change after a quiet spell is written at once; the next ones wait for the alarm (no timer).
    // The counts are kept per slot of the window; a slow machine may spread the three requests over two slots.
    const persisted = async () => sum((await persistedWindows(account.id))[key.id]?.counts ?? []);
    expect(await persisted()).toBe(1);
    expect(await runDurableObjectAlarm(gateOf(account.id))).toBe(true);
    expect(await persisted()).toBe(3);
    await evictDurableObject(gateOf(account.id));
    expect((await ask(account.id, key.id)).outcome).toBe("rate_limited");
  });

  it("bounds what a crash can lose to the last PERSIST_MS: an unsaved change always has an alarm that soon, and only it", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 3, windowSeconds: 60 } });
    for (let i = 0; i < 3; i++) expect((await ask(account.id, key.id)).outcome).toBe("ok");
    const { alarm, persistedAt } = await runInDurableObject(gateOf(account.id), async (_: AccountGate, state) => ({
      alarm: await state.storage.getAlarm(),
      persistedAt: (state.storage.kv.get("counts") as { persistedAt: number }).persistedAt,
    }));
    // Two requests are not written yet: the alarm that writes them is due at most PERSIST_MS after the last write.
    expect(alarm).not.toBeNull();
    expect((alarm as number) - persistedAt).toBeLessThanOrEqual(PERSIST_MS);
    expect(alarm as number).toBeLessThanOrEqual(Date.now() + PERSIST_MS);
    // A crash now (memory gone, no alarm run) loses exactly those two: the restarted gate admits two more.
    await evictDurableObject(gateOf(account.id));
    const after = [await ask(account.id, key.id), await ask(account.id, key.id), await ask(account.id, key.id)];
    expect(after.map((r) => r.outcome)).toEqual(["ok", "ok", "rate_limited"]);
  });

  it("writes one storage row per persist for an account's keys, however many of them are busy", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 1000, windowSeconds: 60 } });
    const others = await Promise.all(Array.from({ length: 9 }, () => createKey(account.id)));
    for (const k of [key, ...others]) for (let i = 0; i < 3; i++) await ask(account.id, k.id);
    await runDurableObjectAlarm(gateOf(account.id));
    const windows = await persistedWindows(account.id);
    expect(Object.keys(windows).sort()).toEqual([key, ...others].map((k) => k.id).sort());
    const rows = await runInDurableObject(gateOf(account.id), (_: AccountGate, state) => [...state.storage.kv.list()]);
    expect(rows.map(([name]) => name).filter((name) => name.startsWith("counts:"))).toEqual([]);
  });

  it("drops a key's counts once its window has drained", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 5, windowSeconds: 60 } });
    await ask(account.id, key.id);
    await runDurableObjectAlarm(gateOf(account.id));
    expect((await persistedWindows(account.id))[key.id]).toBeDefined();
    // A minute later (the clock is an input: Date, as the gate reads it, is faked), the window is empty.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 61_000);
    await ask(account.id, key.id, { admit: false });
    await runDurableObjectAlarm(gateOf(account.id));
    expect((await persistedWindows(account.id))[key.id]).toBeUndefined();
  });

  it("keeps a revocation even if D1 still says the key is live", async () => {
    const { account, key } = await accountWithKey();
    await gateOf(account.id).revokeKey(key.id);
    expect(await ask(account.id, key.id)).toEqual({ outcome: "unauthorized" });
    await gateOf(account.id).refreshKey(key.id);
    expect(await ask(account.id, key.id)).toEqual({ outcome: "unauthorized" });
    await evictDurableObject(gateOf(account.id));
    expect(await ask(account.id, key.id)).toEqual({ outcome: "unauthorized" });
  });

  it("holds an expiry set ahead of D1 (rotation) through an eviction and a read of a newer version, until a forced refresh", async () => {
    const { account, key } = await accountWithKey();
    expect((await ask(account.id, key.id)).outcome).toBe("ok");
    await gateOf(account.id).expireKeyIn(key.id, 0);
    expect(await ask(account.id, key.id)).toEqual({ outcome: "unauthorized" });
    await evictDurableObject(gateOf(account.id));
    // A read that a newer version asks for (D1 does not have the expiry yet) does not lift it.
    await env.DB.prepare("UPDATE api_keys SET updated_at = ? WHERE id = ?")
      .bind(Date.now() + 1000, key.id)
      .run();
    expect(await ask(account.id, key.id, { keyVersion: Date.now() + 1000 })).toEqual({ outcome: "unauthorized" });
    // A forced refresh follows a D1 write, which is what counts from then on.
    await gateOf(account.id).refreshKey(key.id);
    expect((await ask(account.id, key.id)).outcome).toBe("ok");
  });

  it("reads a policy again only when a request names a newer version than the one it holds (no periodic reads)", async () => {
    const { account, key } = await accountWithKey({ scopes: ["domains:read"] });
    expect((await ask(account.id, key.id)).outcome).toBe("ok");
    // A change that reached D1 but not the gate (an admin call that failed half-way, then was not retried).
    const later = Date.now() + 1000;
    await env.DB.prepare("UPDATE api_keys SET scopes = ?, updated_at = ? WHERE id = ?")
      .bind('["messages:read"]', later, key.id)
      .run();
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 3_600_000);
    // An hour on, a request naming the version it held still gets the held policy: nothing is read again by age.
    expect((await ask(account.id, key.id, { keyVersion: 1 })).outcome).toBe("ok");
    // A request whose record names the newer version makes the gate read it first.
    expect((await ask(account.id, key.id, { keyVersion: later })).outcome).toBe("forbidden");
    // And it is kept through a restart.
    await evictDurableObject(gateOf(account.id));
    expect((await ask(account.id, key.id)).outcome).toBe("forbidden");
  });

  it("grants a lease only from what remains, counted at once, and never past a tenth of it", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 100, windowSeconds: 60 } });
    const granted = await ask(account.id, key.id, { want: 50, leaseMs: 1000 });
    expect(granted).toMatchObject({ outcome: "ok", lease: { tokens: 9 }, limits: { key: { remaining: 90 } } });
    const next = await ask(account.id, key.id);
    expect(next).toMatchObject({ outcome: "ok", limits: { key: { remaining: 89 } } });
  });

  it("answers a status change through the admin API only once every lease granted before it has expired", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 1000, windowSeconds: 60 } });
    const granted = await ask(account.id, key.id, { want: 50, leaseMs: 1000 });
    if (granted.outcome !== "ok" || !granted.lease) throw new Error("expected a lease");
    const started = Date.now();
    expect((await admin("DELETE", `/accounts/${account.id}/keys/${key.id}`)).status).toBe(200);
    expect(Date.now()).toBeGreaterThanOrEqual(granted.lease.expiresAt);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("does not make a change to one key wait for another key's leases", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 1000, windowSeconds: 60 } });
    const quiet = await createKey(account.id);
    await ask(account.id, key.id, { want: 50, leaseMs: 4000 });
    const started = Date.now();
    expect((await admin("DELETE", `/accounts/${account.id}/keys/${quiet.id}`)).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it("answers a change with the end of its fence and never waits itself: its caller does", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 1000, windowSeconds: 60 } });
    const granted = await ask(account.id, key.id, { want: 50, leaseMs: 4000 });
    if (granted.outcome !== "ok" || !granted.lease) throw new Error("expected a lease");
    const started = Date.now();
    const { fenceUntil } = await gateOf(account.id).revokeKey(key.id);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fenceUntil).toBe(granted.lease.expiresAt);
  });

  it("after a restart, fences a change until leases a previous instance may have granted since its last persist have ended", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 1000, windowSeconds: 60 } });
    await ask(account.id, key.id);
    await runDurableObjectAlarm(gateOf(account.id));
    await evictDurableObject(gateOf(account.id));
    const restarted = Date.now();
    const { fenceUntil } = await gateOf(account.id).revokeKey(key.id);
    // LEASE_MS (4 s by default) after the restart, since the last persist was recent.
    expect(fenceUntil - restarted).toBeGreaterThanOrEqual(3900);
  });
});
