/**
 * What an idempotent request's answer leaves behind (CONTRACT §9), on real
 * bindings: an answer below 500 kept and replayed byte for byte (the
 * origin's status, headers and body; the gateway's own headers fresh), for
 * IDEMPOTENCY_TTL_SECONDS and then swept; nothing kept after an origin 5xx,
 * a 502 or a 504 (the next request is forwarded); an answer too large to
 * keep refused (409) on a repeat, the origin never called again.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { expectEnvelope } from "../support/envelope";
import { accountWithKey, bytes, gatewayWith, marker, originRequests, sha256 } from "../support/helpers";
import { entryOf, gateOf, settledEntry, withKey } from "../support/idempotency";

afterEach(() => {
  vi.useRealTimers();
});

const headersOf = (response: Response) => Object.fromEntries(response.headers);

describe("a kept answer", () => {
  it("is replayed byte for byte with Idempotent-Replayed: true, the repeat's own X-Request-Id and rate-limit headers", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 10, windowSeconds: 60 } });
    const m = marker();
    const first = await withKey(key.key, `/v1/emails?m=${m}`, "order-1", { headers: { "X-Request-Id": `first-${m}` } });
    const firstBody = new Uint8Array(await first.arrayBuffer());
    await settledEntry(account.id, "order-1");
    const repeat = await withKey(key.key, `/v1/emails?m=${m}`, "order-1", {
      headers: { "X-Request-Id": `repeat-${m}` },
    });
    expect(repeat.status).toBe(first.status);
    expect(repeat.statusText).toBe(first.statusText);
    expect(new Uint8Array(await repeat.arrayBuffer())).toEqual(firstBody);
    // The origin's headers are kept (its Date, its own header); the gateway's are the repeat's.
    const kept = headersOf(first);
    const replayed = headersOf(repeat);
    for (const name of ["content-type", "date", "x-origin-header"]) expect(replayed[name], name).toBe(kept[name]);
    expect(replayed["idempotent-replayed"]).toBe("true");
    expect(kept["idempotent-replayed"]).toBeUndefined();
    expect(replayed["x-request-id"]).toBe(`repeat-${m}`);
    expect(kept["x-ratelimit-remaining"]).toBe("9");
    expect(replayed["x-ratelimit-remaining"]).toBe("8");
    expect(await originRequests({ pathContains: m })).toHaveLength(1);
  });

  it("is kept for an origin's 4xx too, and a redirect is replayed as it was", async () => {
    const { account, key } = await accountWithKey();
    for (const [path, status] of [
      [`/v1/_test/status/409?m=${marker()}`, 409],
      [`/v1/_test/redirect?m=${marker()}`, 302],
    ] as const) {
      // redirect: "manual", so that the test client itself does not follow it.
      const first = await withKey(key.key, path, path, { redirect: "manual" });
      expect(first.status).toBe(status);
      expect(await settledEntry(account.id, path)).toMatchObject({ state: "kept" });
      const repeat = await withKey(key.key, path, path, { redirect: "manual" });
      expect(repeat.status).toBe(status);
      expect(repeat.headers.get("location")).toBe(first.headers.get("location"));
      expect(repeat.headers.get("idempotent-replayed")).toBe("true");
    }
  });

  it("stays for IDEMPOTENCY_TTL_SECONDS; then the key is new again, and the alarm's sweep removes its row", async () => {
    const { account, key } = await accountWithKey();
    const m = marker();
    await withKey(key.key, `/v1/emails?m=${m}`, "order-1");
    const kept = await settledEntry(account.id, "order-1");
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime((kept?.expiresAt as number) - 1);
    expect((await withKey(key.key, `/v1/emails?m=${m}`, "order-1")).headers.get("idempotent-replayed")).toBe("true");
    vi.setSystemTime(kept?.expiresAt as number);
    expect(await runDurableObjectAlarm(gateOf(account.id))).toBe(true);
    expect(await entryOf(account.id, "order-1")).toBeUndefined();
    const fresh = await withKey(key.key, `/v1/emails?m=${m}`, "order-1");
    expect(fresh.headers.get("idempotent-replayed")).toBeNull();
    expect(await originRequests({ pathContains: m })).toHaveLength(2);
  });
});

describe("an answer not kept", () => {
  it("after an origin 5xx, a 502 or a 504: the 5xx reaches the client, and the next request with the key is forwarded", async () => {
    const { account, key } = await accountWithKey();
    const cases = [
      { path: `/v1/_test/status/503?m=${marker()}`, status: 503 },
      { path: `/v1/_test/reset?m=${marker()}`, status: 502 },
    ];
    // Each request with the key is forwarded: the origin's 503 (or the reset connection's 502) every time.
    for (const { path, status } of cases) {
      expect((await withKey(key.key, path, path)).status).toBe(status);
      expect(await settledEntry(account.id, path)).toBeUndefined();
      expect((await withKey(key.key, path, path)).status).toBe(status);
    }
    // 504: the gateway's own timeout (a gateway with UPSTREAM_TIMEOUT_MS=300).
    const slow = `/v1/_test/slow-headers?ms=1000&m=${marker()}`;
    const init = { method: "POST", body: "{}", headers: { "X-API-Key": key.key, "Idempotency-Key": "slow" } };
    expect((await gatewayWith({ UPSTREAM_TIMEOUT_MS: "300" }, slow, init)).status).toBe(504);
    expect(await settledEntry(account.id, "slow")).toBeUndefined();
    expect((await withKey(key.key, slow, "slow", { body: "{}" })).status).toBe(200);
    // (The reset connection leaves no record at the origin.)
    for (const path of [cases[0]?.path as string, slow]) {
      expect(await originRequests({ pathContains: path.slice(-33) }), path).toHaveLength(2);
    }
  });

  it("when it is larger than IDEMPOTENCY_MAX_BYTES: the client still gets all of it, a repeat gets 409 saying so and never reaches the origin", async () => {
    const { account, key } = await accountWithKey();
    const path = `/v1/_test/big?bytes=300000&m=${marker()}`;
    const first = await withKey(key.key, path, "big");
    expect((await first.arrayBuffer()).byteLength).toBe(300_000);
    expect(await settledEntry(account.id, "big")).toMatchObject({ state: "not_kept", reason: "too_large" });
    const repeat = await withKey(key.key, path, "big");
    expect(repeat.status).toBe(409);
    expect(repeat.headers.get("retry-after")).toBeNull();
    const error = await expectEnvelope(repeat);
    expect(error).toMatchObject({ code: "CONFLICT" });
    expect(error.message).toMatch(/too large to keep/);
    expect(await originRequests({ pathContains: path.slice(-33) })).toHaveLength(1);
  });
});

describe("the request body", () => {
  it("is hashed in full even over the signed-body bound (buffered, signed with its digest), and a different one is a 422", async () => {
    const { account, key } = await accountWithKey();
    const m = marker();
    const body = bytes(100_000, 7);
    const post = (payload: Uint8Array) =>
      withKey(key.key, `/v1/uploads?m=${m}`, "upload-1", {
        body: payload,
        headers: { "Content-Type": "application/octet-stream", "Content-Length": String(payload.byteLength) },
      });
    expect((await post(body)).status).toBe(200);
    const [received] = await originRequests({ pathContains: m });
    expect(received).toMatchObject({ bodyLength: 100_000, bodySha256: await sha256(body), signature: "ok" });
    expect(received?.headers["x-momail-signature"]).toContain(`body=${await sha256(body)}`);
    await settledEntry(account.id, "upload-1");
    expect((await post(body)).headers.get("idempotent-replayed")).toBe("true");
    const other = await post(bytes(100_000, 8));
    expect(other.status).toBe(422);
    expect(await expectEnvelope(other)).toMatchObject({ code: "IDEMPOTENCY_KEY_REUSED" });
    expect(await originRequests({ pathContains: m })).toHaveLength(1);
  });
});
