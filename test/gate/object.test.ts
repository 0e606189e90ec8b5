import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { AccountGate } from "../../src/gate/object";
import type { CheckRequest } from "../../src/gate/protocol";
import { accountWithKey, admin, createKey } from "../support/helpers";

const gateOf = (accountId: string) => env.RATE_LIMITER.getByName(accountId);
const ask = (accountId: string, keyId: string, extra: Partial<CheckRequest> = {}) =>
  gateOf(accountId).check({
    accountId,
    keyId,
    scope: "domains:read",
    cost: 1,
    admit: true,
    want: 0,
    leaseMs: 0,
    ...extra,
  });
const stored = (accountId: string, row: string) =>
  runInDurableObject(gateOf(accountId), (_: AccountGate, state) => state.storage.kv.get(row));
const sum = (counts: number[]) => counts.reduce((total, count) => total + count, 0);

/** The key counts the gate persisted (its `state` row). */
const persistedKeys = async (accountId: string) =>
  ((await stored(accountId, "state")) as { keys: Record<string, { window?: { counts: number[] } }> } | undefined)
    ?.keys ?? {};

describe("the account gate", () => {
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

  it("keeps counts in memory, persisted by timer or alarm, so an eviction after that does not reset the limit", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 3, windowSeconds: 60 } });
    for (let i = 0; i < 3; i++) expect((await ask(account.id, key.id)).outcome).toBe("ok");
    // The first change after a quiet spell is written at once; the next ones wait for the timer (or the alarm).
    // The counts are kept per slot of the window; a slow machine may spread the three requests over two slots.
    const persisted = async () => sum((await persistedKeys(account.id))[key.id]?.window?.counts ?? []);
    expect(await persisted()).toBe(1);
    expect(await runDurableObjectAlarm(gateOf(account.id))).toBe(true);
    expect(await persisted()).toBe(3);
    await evictDurableObject(gateOf(account.id));
    expect((await ask(account.id, key.id)).outcome).toBe("rate_limited");
  });

  it("writes one storage row per persist for an account's keys, however many of them are busy", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 1000, windowSeconds: 60 } });
    const others = await Promise.all(Array.from({ length: 9 }, () => createKey(account.id)));
    for (const k of [key, ...others]) for (let i = 0; i < 3; i++) await ask(account.id, k.id);
    await runDurableObjectAlarm(gateOf(account.id));
    const keys = await persistedKeys(account.id);
    expect(Object.keys(keys).sort()).toEqual([key, ...others].map((k) => k.id).sort());
    const rows = await runInDurableObject(gateOf(account.id), (_: AccountGate, state) => [...state.storage.kv.list()]);
    expect(rows.map(([name]) => name).filter((name) => name.startsWith("keys:"))).toEqual([]);
  });

  it("drops a key's counts once its window has drained", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 5, windowSeconds: 1 } });
    await ask(account.id, key.id);
    await runDurableObjectAlarm(gateOf(account.id));
    expect((await persistedKeys(account.id))[key.id]?.window).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await ask(account.id, key.id, { admit: false });
    await runInDurableObject(gateOf(account.id), (gate: AccountGate) => {
      (gate as unknown as { persist(): void }).persist();
    });
    expect((await persistedKeys(account.id))[key.id]?.window).toBeUndefined();
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

  it("holds an expiry set ahead of D1 (rotation) through an eviction and a timed reload, until a forced refresh", async () => {
    const { account, key } = await accountWithKey();
    expect((await ask(account.id, key.id)).outcome).toBe("ok");
    await gateOf(account.id).expireKeyIn(key.id, 0);
    expect(await ask(account.id, key.id)).toEqual({ outcome: "unauthorized" });
    await runInDurableObject(gateOf(account.id), (_: AccountGate, state) => {
      const policy = state.storage.kv.get<{ loadedAt: number }>(`key:${key.id}`);
      state.storage.kv.put(`key:${key.id}`, { ...policy, loadedAt: 1 });
    });
    await evictDurableObject(gateOf(account.id));
    // A timed reload (the policy TTL passed) reads D1, which does not have the expiry yet: it still holds.
    expect(await ask(account.id, key.id)).toEqual({ outcome: "unauthorized" });
    // A forced refresh follows a D1 write, which is what counts from then on.
    await gateOf(account.id).refreshKey(key.id);
    expect((await ask(account.id, key.id)).outcome).toBe("ok");
  });

  it("answers from a policy read over 5 minutes ago while it reads D1 again off the path; a restart keeps that read", async () => {
    const { account, key } = await accountWithKey({ scopes: ["domains:read"] });
    expect((await ask(account.id, key.id)).outcome).toBe("ok");
    // A change that reached D1 but not the gate (the safety net's case), and a policy read long ago.
    await env.DB.prepare("UPDATE api_keys SET scopes = ? WHERE id = ?").bind('["messages:read"]', key.id).run();
    await runInDurableObject(gateOf(account.id), (gate: AccountGate) => {
      const entry = (gate as unknown as { keys: Map<string, { stored: { loadedAt: number } }> }).keys.get(key.id);
      if (entry) entry.stored.loadedAt = 1;
    });
    expect((await ask(account.id, key.id)).outcome).toBe("ok");
    let outcome = "ok";
    for (let i = 0; i < 50 && outcome === "ok"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      outcome = (await ask(account.id, key.id)).outcome;
    }
    expect(outcome).toBe("forbidden");
    // A read that finds the policy unchanged rewrites no policy row; its time is persisted with the counts,
    // so after a restart the copy is as fresh as this instance knew it, and not read again.
    await runInDurableObject(gateOf(account.id), (gate: AccountGate, state) => {
      const entry = (gate as unknown as { keys: Map<string, { stored: { loadedAt: number } }> }).keys.get(key.id);
      if (entry) entry.stored.loadedAt = 1;
      state.storage.kv.put(`key:${key.id}`, { ...state.storage.kv.get<object>(`key:${key.id}`), loadedAt: 1 });
    });
    expect((await ask(account.id, key.id)).outcome).toBe("forbidden");
    await new Promise((resolve) => setTimeout(resolve, 200));
    await runInDurableObject(gateOf(account.id), (gate: AccountGate) =>
      (gate as unknown as { persist(): void }).persist(),
    );
    await env.DB.prepare("UPDATE api_keys SET scopes = ? WHERE id = ?").bind('["domains:read"]', key.id).run();
    await evictDurableObject(gateOf(account.id));
    expect((await ask(account.id, key.id)).outcome).toBe("forbidden");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await ask(account.id, key.id)).outcome).toBe("forbidden");
  });

  it("grants a lease only from what remains, counted at once, and never past a tenth of it", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 100, windowSeconds: 60 } });
    const granted = await ask(account.id, key.id, { want: 50, leaseMs: 1000 });
    expect(granted).toMatchObject({ outcome: "ok", lease: { tokens: 9 }, limits: { key: { remaining: 90 } } });
    const next = await ask(account.id, key.id);
    expect(next).toMatchObject({ outcome: "ok", limits: { key: { remaining: 89 } } });
  });

  it("answers a status change only once every lease granted before it has expired", async () => {
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

  it("after a restart, waits out leases a previous instance may have granted since its last persist", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 1000, windowSeconds: 60 } });
    await ask(account.id, key.id);
    await runDurableObjectAlarm(gateOf(account.id));
    await evictDurableObject(gateOf(account.id));
    const started = Date.now();
    await gateOf(account.id).revokeKey(key.id);
    // LEASE_MS (4 s by default) after the restart, since the last persist was recent.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
  });
});
