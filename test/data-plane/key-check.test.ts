import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { isolate } from "../../src/isolate";
import { checksum } from "../../src/keys/format";
import { kvKey } from "../../src/keys/lookup";
import { countingEnv } from "../support/counting-env";
import {
  accountWithKey,
  admin,
  call,
  errorOf,
  forgedKey,
  gateway,
  marker,
  originRequests,
  unstoredKey,
} from "../support/helpers";

const INVALID = { code: "UNAUTHORIZED", message: "Invalid or missing API key" };

/** Asserts the one documented 401 and that nothing reached the origin. */
async function expectRefused(response: Response, mark: string) {
  expect(response.status).toBe(401);
  expect(response.headers.get("cache-control")).toBe("no-store");
  expect(response.headers.get("x-request-id")).toBeTruthy();
  expect(await errorOf(response)).toEqual(INVALID);
  expect(await originRequests({ pathContains: mark })).toHaveLength(0);
}

/** A key with the same prefix and a valid checksum but another secret. */
function sameprefixOtherSecret(key: string): string {
  const prefix = key.slice(3, 11);
  const random = key.slice(12, 30).split("").reverse().join("");
  return `mk_${prefix}_${random}${checksum(`mk_${prefix}_${random}`)}`;
}

describe("the key check refuses with the one documented 401", () => {
  it("when the key is missing", async () => {
    const m = marker();
    await expectRefused(await gateway(`/v1/domains/${m}`), m);
  });

  it.each([
    ["malformed", "mk_short"],
    ["of the wrong shape", "sk_abcd1234_0000000000000000004Bd7Ij"],
    ["with a bad checksum", "mk_abcd1234_0000000000000000004Bd7Ik"],
    ["padded with spaces", " mk_abcd1234_0000000000000000004Bd7Ij "],
  ])("when the key is %s", async (_, key) => {
    const m = marker();
    await expectRefused(await call(key, `/v1/domains/${m}`), m);
  });

  it("when the key is well formed but the gateway never issued it", async () => {
    const m = marker();
    await expectRefused(await call(forgedKey(), `/v1/domains/${m}`), m);
  });

  it("when the key passes the forged-key check but no such key exists", async () => {
    const m = marker();
    await expectRefused(await call(await unstoredKey(), `/v1/domains/${m}`), m);
  });

  it("when the secret is wrong for a real prefix", async () => {
    const { key } = await accountWithKey();
    const m = marker();
    await expectRefused(await call(sameprefixOtherSecret(key.key), `/v1/domains/${m}`), m);
    // And still after the right secret has been verified and cached.
    expect((await call(key.key)).status).toBe(200);
    await expectRefused(await call(sameprefixOtherSecret(key.key), `/v1/domains/${m}`), m);
  });

  it("when the key is revoked", async () => {
    const { account, key } = await accountWithKey();
    await admin("DELETE", `/accounts/${account.id}/keys/${key.id}`);
    const m = marker();
    await expectRefused(await call(key.key, `/v1/domains/${m}`), m);
  });

  it("when the key has expired", async () => {
    const { key } = await accountWithKey();
    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1000, key.id)
      .run();
    const m = marker();
    await expectRefused(await call(key.key, `/v1/domains/${m}`), m);
  });

  it("when the key's account is disabled", async () => {
    const { account, key } = await accountWithKey();
    await admin("PATCH", `/accounts/${account.id}`, { disabled: true });
    const m = marker();
    await expectRefused(await call(key.key, `/v1/domains/${m}`), m);
  });

  it("when the key is sent twice", async () => {
    const { key } = await accountWithKey();
    const headers = new Headers();
    headers.append("X-API-Key", key.key);
    headers.append("X-API-Key", key.key);
    const m = marker();
    await expectRefused(await gateway(`/v1/domains/${m}`, { headers }), m);
  });

  it("when the key is only in the query string or in Authorization", async () => {
    const { key } = await accountWithKey();
    const m = marker();
    await expectRefused(await gateway(`/v1/domains/${m}?api_key=${key.key}&X-API-Key=${key.key}`), m);
    await expectRefused(await gateway(`/v1/domains/${m}`, { headers: { Authorization: `Bearer ${key.key}` } }), m);
  });

  it("when the key contains Unicode look-alikes", async () => {
    const { key } = await accountWithKey();
    const m = marker();
    // A Cyrillic "а" for the Latin "a" somewhere in the secret, or a full-width "_".
    const lookalike = `${key.key.slice(0, 20)}\u0430${key.key.slice(21)}`;
    await expectRefused(await call(encodeURIComponent(lookalike), `/v1/domains/${m}`), m);
    await expectRefused(await call(key.key.replace("_", "%EF%BC%BF"), `/v1/domains/${m}`), m);
  });

  it("when a warm key arrives with its separator changed", async () => {
    const { key } = await accountWithKey();
    expect((await call(key.key)).status).toBe(200);
    for (const separator of ["-", "x", "."]) {
      const m = marker();
      await expectRefused(await call(`${key.key.slice(0, 11)}${separator}${key.key.slice(12)}`, `/v1/domains/${m}`), m);
    }
  });

  it("when the key header is 8 KB long", async () => {
    const m = marker();
    await expectRefused(await call(`mk_${"a".repeat(8192)}`, `/v1/domains/${m}`), m);
  });

  it("and the error body never echoes the key", async () => {
    const { account, key } = await accountWithKey();
    await admin("DELETE", `/accounts/${account.id}/keys/${key.id}`);
    const text = await (await call(key.key)).text();
    expect(text).not.toContain(key.key);
    expect(text).not.toContain(key.prefix);
  });
});

describe("the key check's storage reads", () => {
  it("makes none at all for a malformed key or a bad checksum", async () => {
    const gw = countingEnv();
    for (const key of ["", "junk", "mk_abcd1234_0000000000000000004Bd7Ik", `mk_${"x".repeat(40)}`]) {
      const response = await gw.fetch("/v1/domains", { headers: { "X-API-Key": key } });
      expect(response.status).toBe(401);
    }
    expect(await gw.fetch("/v1/domains")).toHaveProperty("status", 401);
    expect(gw.counts).toEqual({ kvReads: 0, kvWrites: 0, d1: 0, objects: 0 });
  });

  it("makes none at all for well-formed keys the gateway never issued, however many distinct ones", async () => {
    const gw = countingEnv();
    for (let i = 0; i < 20; i++) {
      expect((await gw.fetch("/v1/domains", { headers: { "X-API-Key": forgedKey() } })).status).toBe(401);
    }
    expect(gw.counts).toEqual({ kvReads: 0, kvWrites: 0, d1: 0, objects: 0 });
  });

  it("makes none at all for an issued key's prefix with a wrong secret, warm or cold", async () => {
    const { key } = await accountWithKey();
    isolate.records.clear();
    const gw = countingEnv();
    for (let i = 0; i < 5; i++) {
      expect((await gw.fetch("/v1/domains", { headers: { "X-API-Key": forgedKey(key.prefix) } })).status).toBe(401);
    }
    expect(gw.counts).toEqual({ kvReads: 0, kvWrites: 0, d1: 0, objects: 0 });
    // With the key warm in this isolate, a wrong secret is refused by comparison alone.
    expect((await gw.fetch("/v1/domains", { headers: { "X-API-Key": key.key } })).status).toBe(200);
    const before = { ...gw.counts };
    expect((await gw.fetch("/v1/domains", { headers: { "X-API-Key": sameprefixOtherSecret(key.key) } })).status).toBe(
      401,
    );
    expect(gw.counts).toEqual(before);
  });

  it("reads KV then D1 once for an issued-looking key D1 does not know, and caches that in the isolate only", async () => {
    const gw = countingEnv();
    const unknown = await unstoredKey();
    expect((await gw.fetch("/v1/domains", { headers: { "X-API-Key": unknown } })).status).toBe(401);
    expect(gw.counts).toEqual({ kvReads: 1, kvWrites: 0, d1: 1, objects: 0 });
    expect(await env.KEYS_CACHE.get(kvKey(unknown.slice(3, 11)))).toBeNull();

    for (let i = 0; i < 20; i++) await gw.fetch("/v1/domains", { headers: { "X-API-Key": unknown } });
    expect(gw.counts).toEqual({ kvReads: 1, kvWrites: 0, d1: 1, objects: 0 });
  });

  it("makes no KV or D1 read on the warm path: only the key's Durable Object is asked", async () => {
    const { key } = await accountWithKey();
    // Without leases, so that every request asks the object (leases: see test/limiter/leases.test.ts).
    const gw = countingEnv({ LEASE_MS: "0" });
    expect((await gw.fetch("/v1/domains", { headers: { "X-API-Key": key.key } })).status).toBe(200);
    expect(gw.counts).toMatchObject({ kvReads: 1, d1: 1, objects: 1 });
    expect(await env.KEYS_CACHE.get(kvKey(key.prefix), "json")).toMatchObject({ id: key.id, prefix: key.prefix });

    for (let i = 0; i < 5; i++)
      expect((await gw.fetch("/v1/domains", { headers: { "X-API-Key": key.key } })).status).toBe(200);
    expect(gw.counts).toMatchObject({ kvReads: 1, d1: 1, objects: 6 });
  });

  it("fills a cold isolate from KV without touching D1", async () => {
    const { key } = await accountWithKey();
    await call(key.key);
    isolate.records.clear();
    const gw = countingEnv();
    expect((await gw.fetch("/v1/domains", { headers: { "X-API-Key": key.key } })).status).toBe(200);
    expect(gw.counts).toMatchObject({ kvReads: 1, d1: 0, objects: 1 });
  });

  it("keeps the isolate cache at its bound when unknown keys keep arriving", async () => {
    isolate.records.clear();
    const bound = isolate.records.maxEntries;
    for (let i = 0; i < bound; i++) isolate.records.set(`f${String(i).padStart(7, "0")}`, { record: null }, 60_000);
    expect(isolate.records.size).toBe(bound);
    const gw = countingEnv();
    for (let i = 0; i < 5; i++) await gw.fetch("/v1/domains", { headers: { "X-API-Key": await unstoredKey() } });
    expect(gw.counts.d1).toBe(5);
    expect(isolate.records.size).toBe(bound);
    isolate.records.clear();
  });
});
