/**
 * The Idempotency-Key header through the gateway (CONTRACT §9): a malformed
 * value is a 400 naming it, counted against nothing; only POST and PATCH
 * under /v1/ are idempotent; a key is the account's (shared by its keys,
 * unknown to other accounts); another method, path or body is a 422; the
 * header goes on to the origin.
 */
import { describe, expect, it } from "vitest";
import { expectEnvelope } from "../support/envelope";
import { accountWithKey, call, createKey, marker, originRequests } from "../support/helpers";
import { settledEntry, withKey } from "../support/idempotency";

describe("the Idempotency-Key header", () => {
  it("answers a malformed value with 400 naming the header, counted against nothing and reaching no origin", async () => {
    const { key } = await accountWithKey({ rateLimit: { limit: 10, windowSeconds: 60 } });
    const m = marker();
    // (Non-ASCII values are refused too: test/idempotency/rules.unit.test.ts; the runtime warns about sending them.)
    for (const bad of ["", "x".repeat(256), "tab\there"]) {
      const response = await withKey(key.key, `/v1/emails?m=${m}`, bad);
      expect(response.status, JSON.stringify(bad)).toBe(400);
      const error = await expectEnvelope(response);
      expect(error).toMatchObject({ code: "BAD_REQUEST" });
      expect(error.message).toMatch(/^Idempotency-Key: /);
    }
    expect(await originRequests({ pathContains: m })).toHaveLength(0);
    const next = await withKey(key.key, `/v1/emails?m=${m}`, "x".repeat(255));
    expect(next.headers.get("x-ratelimit-remaining")).toBe("9");
  });

  it("makes POST and PATCH idempotent, not GET, PUT or DELETE, and goes on to the origin", async () => {
    const { account, key } = await accountWithKey();
    const m = marker();
    const patch = await withKey(key.key, `/v1/domains/1?m=${m}`, "patch-1", { method: "PATCH" });
    expect(patch.status).toBe(200);
    await settledEntry(account.id, "patch-1");
    expect(
      (await withKey(key.key, `/v1/domains/1?m=${m}`, "patch-1", { method: "PATCH" })).headers.get(
        "idempotent-replayed",
      ),
    ).toBe("true");
    for (const method of ["GET", "PUT", "DELETE"]) {
      for (let i = 0; i < 2; i++) {
        const init = { method, body: method === "GET" ? null : "{}", headers: { "Idempotency-Key": `${method}-1` } };
        const response = await call(key.key, `/v1/domains/1?m=${m}&method=${method}`, init);
        expect(response.headers.get("idempotent-replayed")).toBeNull();
      }
    }
    const reached = await originRequests({ pathContains: m });
    expect(reached).toHaveLength(7);
    expect(reached[0]?.headers["idempotency-key"]).toBe("patch-1");
  });

  it("is the account's: another key of the account gets the kept answer, another account's key is a first request", async () => {
    const { account, key } = await accountWithKey();
    const sibling = await createKey(account.id);
    const stranger = await accountWithKey();
    const m = marker();
    await withKey(key.key, `/v1/emails?m=${m}`, "order-1");
    await settledEntry(account.id, "order-1");
    expect((await withKey(sibling.key, `/v1/emails?m=${m}`, "order-1")).headers.get("idempotent-replayed")).toBe(
      "true",
    );
    const other = await withKey(stranger.key.key, `/v1/emails?m=${m}`, "order-1");
    expect(other.status).toBe(200);
    expect(other.headers.get("idempotent-replayed")).toBeNull();
    expect(await originRequests({ pathContains: m })).toHaveLength(2);
  });

  it("answers 422 IDEMPOTENCY_KEY_REUSED for the key with another method, path or body, saying which", async () => {
    const { account, key } = await accountWithKey();
    const m = marker();
    await withKey(key.key, `/v1/emails?m=${m}`, "order-1", { body: '{"n":1}' });
    await settledEntry(account.id, "order-1");
    const cases = [
      { init: { body: '{"n":2}' }, says: "request body" },
      { path: `/v1/emails?m=${m}&again=1`, init: { body: '{"n":1}' }, says: "path" },
      { init: { method: "PATCH", body: '{"n":1}' }, says: "method" },
    ];
    for (const { path, init, says } of cases) {
      const response = await withKey(key.key, path ?? `/v1/emails?m=${m}`, "order-1", init);
      expect(response.status).toBe(422);
      const error = await expectEnvelope(response);
      expect(error.code).toBe("IDEMPOTENCY_KEY_REUSED");
      expect(error.message).toBe(`This Idempotency-Key was already used with a different ${says}`);
    }
    expect(await originRequests({ pathContains: m })).toHaveLength(1);
  });
});
