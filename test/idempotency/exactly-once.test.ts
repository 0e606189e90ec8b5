/**
 * Idempotent requests reach the origin once (CONTRACT §9), on real bindings:
 * however many identical requests arrive at once, across a restart or
 * eviction of the account's gate while the first is in flight, and when the
 * client goes away. Until the first is answered, repeats get 409 with
 * Retry-After: 1. (Requests spread over several isolates and locations are
 * the cross-isolate tier's; the gate decides them all the same way.)
 */
import { evictDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { expectEnvelope } from "../support/envelope";
import { accountWithKey, gatewayWith, marker, originRequests } from "../support/helpers";
import { gateOf, markedEntry, settledEntry, withKey } from "../support/idempotency";

afterEach(() => {
  vi.useRealTimers();
});

describe("exactly once at the edge", () => {
  it("sends one of 20 identical concurrent requests to the origin; the others get 409 with Retry-After: 1, then the answer", async () => {
    const { account, key } = await accountWithKey();
    const m = marker();
    const path = `/v1/_test/slow-headers?ms=800&m=${m}`;
    const responses = await Promise.all(Array.from({ length: 20 }, () => withKey(key.key, path, "order-1")));
    const answered = responses.filter((r) => r.status === 200);
    const refused = responses.filter((r) => r.status === 409);
    expect(answered).toHaveLength(1);
    expect(refused).toHaveLength(19);
    for (const response of refused) {
      expect(response.headers.get("retry-after")).toBe("1");
      expect((await expectEnvelope(response)).code).toBe("CONFLICT");
    }
    const first = await (answered[0] as Response).text();
    expect(await originRequests({ pathContains: m })).toHaveLength(1);
    await settledEntry(account.id, "order-1");
    const repeat = await withKey(key.key, path, "order-1");
    expect(repeat.headers.get("idempotent-replayed")).toBe("true");
    expect(await repeat.text()).toBe(first);
    expect(await originRequests({ pathContains: m })).toHaveLength(1);
  });

  it("keeps the mark through a restart of the gate while the first is in flight: still 409, never a second origin call", async () => {
    const { account, key } = await accountWithKey();
    const m = marker();
    const path = `/v1/_test/slow-headers?ms=1500&m=${m}`;
    const first = withKey(key.key, path, "order-1");
    await markedEntry(account.id, "order-1");
    await evictDurableObject(gateOf(account.id));
    const during = await withKey(key.key, path, "order-1");
    expect(during.status).toBe(409);
    expect(during.headers.get("retry-after")).toBe("1");
    expect((await first).status).toBe(200);
    // The first request's answer is settled with the restarted gate, which read the mark from storage.
    expect(await settledEntry(account.id, "order-1")).toMatchObject({ state: "kept" });
    const after = await withKey(key.key, path, "order-1");
    expect(after.headers.get("idempotent-replayed")).toBe("true");
    expect(await originRequests({ pathContains: m })).toHaveLength(1);
  });

  it("forwards the next request once a mark has outlived any answer (the first's isolate died before settling)", async () => {
    const { account, key } = await accountWithKey();
    const m = marker();
    const first = withKey(key.key, `/v1/_test/slow-headers?ms=1500&m=${m}`, "order-1");
    const mark = await markedEntry(account.id, "order-1");
    // The clock is an input: past the mark's expiry (UPSTREAM_TIMEOUT_MS + 30 s + 10 s), as if the first never settled.
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(mark.expiresAt);
    const next = await withKey(key.key, `/v1/_test/slow-headers?ms=1500&m=${m}`, "order-1");
    expect(next.status).toBe(200);
    expect(next.headers.get("idempotent-replayed")).toBeNull();
    await first;
    expect(await originRequests({ pathContains: m })).toHaveLength(2);
  });

  it("forgets a request whose client went away before the origin's headers: the next one is forwarded", async () => {
    const { account, key } = await accountWithKey();
    const m = marker();
    const path = `/v1/_test/slow-headers?ms=1500&m=${m}`;
    const client = new AbortController();
    const request = new Request(`http://localhost${path}`, {
      method: "POST",
      body: "{}",
      headers: { "X-API-Key": key.key, "Idempotency-Key": "order-1" },
      signal: client.signal,
    });
    const gone = exports.default.fetch(request).catch((error: unknown) => error);
    await markedEntry(account.id, "order-1");
    client.abort();
    expect(await gone).toBeInstanceOf(Error);
    expect(await settledEntry(account.id, "order-1")).toBeUndefined();
    const next = await withKey(key.key, path, "order-1", { body: "{}", headers: { "X-Request-Id": `next-${m}` } });
    expect(next.status).toBe(200);
    expect(next.headers.get("idempotent-replayed")).toBeNull();
    const reached = await originRequests({ pathContains: m });
    expect(reached.some((r) => r.headers["x-request-id"] === `next-${m}`)).toBe(true);
  });

  it("keeps an answer whose client went away while its body streamed: the origin answered, so a retry gets that answer", async () => {
    const { account, key } = await accountWithKey();
    const m = marker();
    const path = `/v1/_test/slow-body?chunks=3&ms=300&m=${m}`;
    const first = await withKey(key.key, path, "order-1");
    const reader = (first.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    expect(await settledEntry(account.id, "order-1")).toMatchObject({ state: "kept" });
    const retry = await withKey(key.key, path, "order-1");
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(await retry.text()).toBe("chunk 0\nchunk 1\nchunk 2\n");
    expect(await originRequests({ pathContains: m })).toHaveLength(1);
  });

  it("fails closed without the gate, even with RATE_LIMIT_FAIL_OPEN=true: an unclaimed key could be sent twice", async () => {
    const { key } = await accountWithKey();
    const m = marker();
    const unreachable = {
      getByName: () => ({
        claim: () => Promise.reject(new Error("Durable Object is unreachable")),
      }),
    };
    const init = { method: "POST", body: "{}", headers: { "X-API-Key": key.key, "Idempotency-Key": "order-1" } };
    const response = await gatewayWith(
      { RATE_LIMITER: unreachable, RATE_LIMIT_FAIL_OPEN: "true" },
      `/v1/emails?m=${m}`,
      init,
    );
    expect(response.status).toBe(503);
    expect(await originRequests({ pathContains: m })).toHaveLength(0);
  });
});
