import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isolate } from "../../src/isolate";
import { kvKey } from "../../src/keys/lookup";
import { accountWithKey, admin, call, createKey, dataOf, sleep } from "../support/helpers";

/** Puts the key's pre-change record back in KV: what another location's stale cache would hold. */
async function restoreStaleCaches(prefix: string, staleRecord: unknown) {
  await env.KEYS_CACHE.put(kvKey(prefix), JSON.stringify(staleRecord));
  isolate.records.clear();
}

afterEach(() => {
  vi.useRealTimers();
});

describe("changes hold at the edge from the moment the admin API answers", () => {
  it("a revoked key is refused on the very next request, though it was hot in the isolate and KV caches", async () => {
    const { account, key } = await accountWithKey();
    for (let i = 0; i < 3; i++) expect((await call(key.key)).status).toBe(200);
    const stale = await env.KEYS_CACHE.get(kvKey(key.prefix), "json");
    expect(stale).toMatchObject({ id: key.id, revoked: false });

    expect((await admin("DELETE", `/accounts/${account.id}/keys/${key.id}`)).status).toBe(200);
    expect((await call(key.key)).status).toBe(401);

    // Even where a cache still holds the record from before the revocation.
    await restoreStaleCaches(key.prefix, stale);
    expect((await call(key.key)).status).toBe(401);
  });

  it("a disabled account's keys are all refused at once, and restored when it is enabled", async () => {
    const { account, key } = await accountWithKey();
    const second = await createKey(account.id);
    expect((await call(key.key)).status).toBe(200);
    expect((await call(second.key)).status).toBe(200);
    const stale = await env.KEYS_CACHE.get(kvKey(key.prefix), "json");

    await admin("PATCH", `/accounts/${account.id}`, { disabled: true });
    await restoreStaleCaches(key.prefix, stale);
    expect((await call(key.key)).status).toBe(401);
    expect((await call(second.key)).status).toBe(401);

    await admin("PATCH", `/accounts/${account.id}`, { disabled: false });
    expect((await call(key.key)).status).toBe(200);
    expect((await call(second.key)).status).toBe(200);
  });

  it("new scopes apply to the very next request", async () => {
    const { account, key } = await accountWithKey({ scopes: ["domains:read"] });
    expect((await call(key.key, "/v1/domains", { method: "POST" })).status).toBe(403);
    await admin("PATCH", `/accounts/${account.id}/keys/${key.id}`, { scopes: ["domains:write"] });
    expect((await call(key.key, "/v1/domains", { method: "POST" })).status).toBe(200);
    await admin("PATCH", `/accounts/${account.id}/keys/${key.id}`, { scopes: ["messages:read"] });
    expect((await call(key.key, "/v1/domains")).status).toBe(403);
  });

  it("a new expiry applies to the very next request, later or earlier", async () => {
    const { account, key } = await accountWithKey();
    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, key.id)
      .run();
    await env.RATE_LIMITER.getByName(account.id).refreshKey(key.id);
    expect((await call(key.key)).status).toBe(401);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    expect((await admin("PATCH", `/accounts/${account.id}/keys/${key.id}`, { expiresAt: later })).status).toBe(200);
    expect((await call(key.key)).status).toBe(200);
  });

  it("a key stops working when it expires", async () => {
    const { key } = await accountWithKey({ expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect((await call(key.key)).status).toBe(200);
    await sleep(1600);
    expect((await call(key.key)).status).toBe(401);
  });

  it("a rotated key keeps working for its grace period, then gets 401", async () => {
    const { account, key } = await accountWithKey();
    expect((await call(key.key)).status).toBe(200);
    const rotated = await admin("POST", `/accounts/${account.id}/keys/${key.id}/rotate`, { gracePeriodSeconds: 2 });
    const fresh = await dataOf<{ key: string }>(rotated);
    expect((await call(key.key)).status).toBe(200);
    expect((await call(fresh.key)).status).toBe(200);
    await sleep(2100);
    expect((await call(key.key)).status).toBe(401);
    expect((await call(fresh.key)).status).toBe(200);
  });
});

describe("last used", () => {
  it("shows in the admin list right after use, and reaches D1 by the gate's rollup, not a write per request", async () => {
    const { account, key } = await accountWithKey();
    const before = Date.now();
    for (let i = 0; i < 5; i++) await call(key.key);
    const listed = async () =>
      (
        await dataOf<Array<{ id: string; lastUsedAt: string | null }>>(
          await admin("GET", `/accounts/${account.id}/keys`),
        )
      ).find((k) => k.id === key.id);
    const stored = async () =>
      (
        await env.DB.prepare("SELECT last_used_at FROM api_keys WHERE id = ?")
          .bind(key.id)
          .first<{ last_used_at: number | null }>()
      )?.last_used_at;
    const shown = (await listed())?.lastUsedAt;
    expect(new Date(shown as string).getTime()).toBeGreaterThanOrEqual(before - 5);
    expect(await stored()).toBeNull();
    // The gate rolls an hour up once it has closed (the clock is an input: Date, as the gate reads it, is faked).
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 3_600_000 + 6 * 60_000);
    expect(await runDurableObjectAlarm(env.RATE_LIMITER.getByName(account.id))).toBe(true);
    vi.useRealTimers();
    expect(await stored()).toBe(new Date(shown as string).getTime());
  });
});
