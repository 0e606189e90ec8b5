/**
 * What an idempotent request counts against (CONTRACT §9 with §1), on real
 * bindings: a first request counts as any request; a replay counts against
 * the rate limits and never the quota (it passes a quota used up); a refused
 * request (401, 403, 429, 409, 422) counts against nothing and marks
 * nothing, so the same key is a first request once it may pass.
 */
import { describe, expect, it } from "vitest";
import { accountWithKey, createKey, marker, originRequests } from "../support/helpers";
import { markedEntry, settledEntry, withKey } from "../support/idempotency";

const remaining = (response: Response) => ({
  rate: response.headers.get("x-ratelimit-remaining"),
  quota: response.headers.get("x-quota-remaining"),
});

describe("an idempotent request counts", () => {
  it("a first request against the limits and the quota, a replay against the limits only, even with the quota used up", async () => {
    const { account, key } = await accountWithKey(
      { rateLimit: { limit: 5, windowSeconds: 60 } },
      { quota: { limit: 1, period: "day" } },
    );
    const m = marker();
    const first = await withKey(key.key, `/v1/emails?m=${m}`, "order-1");
    expect(remaining(first)).toEqual({ rate: "4", quota: "0" });
    await settledEntry(account.id, "order-1");
    const replay = await withKey(key.key, `/v1/emails?m=${m}`, "order-1");
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(remaining(replay)).toEqual({ rate: "3", quota: "0" });
    const fresh = await withKey(key.key, `/v1/emails?m=${m}`, "order-2");
    expect(fresh.status).toBe(429);
    expect((await fresh.json()) as unknown).toMatchObject({ error: { code: "QUOTA_EXCEEDED" } });
    // The quota's 429 is remembered in this isolate; a replay still passes it.
    expect((await withKey(key.key, `/v1/emails?m=${m}`, "order-1")).status).toBe(200);
    expect(await originRequests({ pathContains: m })).toHaveLength(1);
  });

  it("a replay over the rate limit is refused with 429, like any request", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 2, windowSeconds: 60 } });
    const m = marker();
    await withKey(key.key, `/v1/emails?m=${m}`, "order-1");
    await settledEntry(account.id, "order-1");
    expect((await withKey(key.key, `/v1/emails?m=${m}`, "order-1")).status).toBe(200);
    const limited = await withKey(key.key, `/v1/emails?m=${m}`, "order-1");
    expect(limited.status).toBe(429);
    expect((await limited.json()) as unknown).toMatchObject({ error: { code: "RATE_LIMITED" } });
  });

  it("nothing for a 409 or a 422", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 10, windowSeconds: 60 } });
    const path = `/v1/_test/slow-headers?ms=1500&m=${marker()}`;
    const first = withKey(key.key, path, "order-1");
    await markedEntry(account.id, "order-1");
    for (const [body, status] of [
      ['{"to":"a@example.com"}', 409],
      ['{"other":true}', 422],
    ] as const) {
      const conflict = await withKey(key.key, path, "order-1", { body });
      expect(conflict.status).toBe(status);
      expect(remaining(conflict).rate).toBe("9");
    }
    expect(remaining(await first).rate).toBe("9");
  });
});

describe("a refused idempotent request", () => {
  it("marks nothing: after a 403 or a 429, the same key is a first request from a key that may send it", async () => {
    const { account, key } = await accountWithKey({ scopes: ["*:read"] });
    const limited = await createKey(account.id, { rateLimit: { limit: 1, windowSeconds: 60 } });
    const full = await createKey(account.id);
    const m = marker();
    expect((await withKey(key.key, `/v1/emails?m=${m}`, "order-1")).status).toBe(403);
    await withKey(limited.key, `/v1/emails?m=${m}`, "order-0");
    expect((await withKey(limited.key, `/v1/emails?m=${m}`, "order-2")).status).toBe(429);
    for (const idempotencyKey of ["order-1", "order-2"]) {
      const response = await withKey(full.key, `/v1/emails?m=${m}`, idempotencyKey);
      expect(response.status).toBe(200);
      expect(response.headers.get("idempotent-replayed")).toBeNull();
    }
    expect(await originRequests({ pathContains: m })).toHaveLength(3);
  });
});
