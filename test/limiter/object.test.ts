import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { KeyLimiter } from "../../src/limiter/object";
import { accountWithKey, admin } from "../support/helpers";

const objectFor = (keyId: string) => env.RATE_LIMITER.getByName(keyId);
const check = (keyId: string, want = 0, scope = "domains:read") => objectFor(keyId).check({ keyId, scope, want });

describe("the per-key Durable Object", () => {
  it("answers unauthorized for a key id D1 does not know", async () => {
    expect(await check("key_doesnotexist")).toEqual({ outcome: "unauthorized" });
  });

  it("decides status, then scope, then rate limit, in one call", async () => {
    const { key } = await accountWithKey({ scopes: ["domains:read"], rateLimit: { limit: 2, windowSeconds: 60 } });
    expect((await check(key.id, 0, "messages:read")).outcome).toBe("forbidden");
    expect((await check(key.id)).outcome).toBe("ok");
    expect((await check(key.id)).outcome).toBe("ok");
    const limited = await check(key.id);
    expect(limited).toMatchObject({ outcome: "limited", quota: { limit: 2, windowSeconds: 60, remaining: 0 } });
  });

  it("keeps counts in memory and persists them by alarm, so an eviction does not reset the limit", async () => {
    const { key } = await accountWithKey({ rateLimit: { limit: 3, windowSeconds: 60 } });
    for (let i = 0; i < 3; i++) expect((await check(key.id)).outcome).toBe("ok");
    const stored = await runInDurableObject(objectFor(key.id), (_: KeyLimiter, state) =>
      state.storage.kv.get("window"),
    );
    expect(stored).toBeUndefined();
    expect(await runDurableObjectAlarm(objectFor(key.id))).toBe(true);
    await evictDurableObject(objectFor(key.id));
    expect((await check(key.id)).outcome).toBe("limited");
  });

  it("deletes its counts once the window has drained", async () => {
    const { key } = await accountWithKey({ rateLimit: { limit: 5, windowSeconds: 1 } });
    await check(key.id);
    expect(await runDurableObjectAlarm(objectFor(key.id))).toBe(true);
    const persisted = await runInDurableObject(objectFor(key.id), (_: KeyLimiter, state) =>
      state.storage.kv.get("window"),
    );
    expect(persisted).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await runDurableObjectAlarm(objectFor(key.id));
    const after = await runInDurableObject(objectFor(key.id), (_: KeyLimiter, state) => state.storage.kv.get("window"));
    expect(after).toBeUndefined();
  });

  it("keeps a revocation even if D1 still says the key is live", async () => {
    const { key } = await accountWithKey();
    await objectFor(key.id).revoke();
    expect(await check(key.id)).toEqual({ outcome: "unauthorized" });
    await objectFor(key.id).refresh(key.id);
    expect(await check(key.id)).toEqual({ outcome: "unauthorized" });
  });

  it("holds an expiry set ahead of D1 (rotation) through an eviction and a timed reload, until a forced refresh", async () => {
    const { key } = await accountWithKey();
    expect((await check(key.id)).outcome).toBe("ok");
    await objectFor(key.id).expireBy(Date.now() - 1);
    expect(await check(key.id)).toEqual({ outcome: "unauthorized" });
    await evictDurableObject(objectFor(key.id));
    // A timed reload (the policy TTL passed) reads D1, which does not have the expiry yet: it still holds.
    await runInDurableObject(objectFor(key.id), (_: KeyLimiter, state) => {
      const policy = state.storage.kv.get<{ loadedAt: number }>("policy");
      state.storage.kv.put("policy", { ...policy, loadedAt: 0 });
    });
    await evictDurableObject(objectFor(key.id));
    expect(await check(key.id)).toEqual({ outcome: "unauthorized" });
    // A forced refresh follows a D1 write, which is what counts from then on.
    await objectFor(key.id).refresh(key.id);
    expect((await check(key.id)).outcome).toBe("ok");
  });

  it("grants a lease only from what remains, counted at once, and never past a tenth of it", async () => {
    const { key } = await accountWithKey({ rateLimit: { limit: 100, windowSeconds: 60 } });
    const granted = await check(key.id, 50);
    expect(granted).toMatchObject({ outcome: "ok", lease: { tokens: 9 }, quota: { remaining: 90 } });
    const next = await check(key.id, 0);
    expect(next).toMatchObject({ outcome: "ok", quota: { remaining: 89 } });
  });

  it("answers a status change only once every lease granted before it has expired", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 1000, windowSeconds: 60 } });
    const granted = await check(key.id, 50);
    if (granted.outcome !== "ok" || !granted.lease) throw new Error("expected a lease");
    const started = Date.now();
    expect((await admin("DELETE", `/accounts/${account.id}/keys/${key.id}`)).status).toBe(200);
    expect(Date.now()).toBeGreaterThanOrEqual(granted.lease.expiresAt);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
