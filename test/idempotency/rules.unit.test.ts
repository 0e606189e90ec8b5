/**
 * An Idempotency-Key's life (src/idempotency/rules.ts) and the header's rules
 * (key.ts), with the time as an input: no runtime, no storage, no sleep.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { ApiError } from "../../src/errors";
import { idempotencyKeyOf } from "../../src/idempotency/key";
import type { IdempotencyClaim, KeptAnswer } from "../../src/idempotency/protocol";
import { type Entry, idempotencySettings, marked, settled, verdictOf } from "../../src/idempotency/rules";

const T0 = Date.UTC(2027, 5, 15, 12, 0, 0);
const SETTINGS = { ttlMs: 86_400_000, markMs: 70_000 };
const fingerprint = { method: "POST", path: "/v1/emails", bodySha256: "ab".repeat(32) };
const claim = (over: Partial<IdempotencyClaim> = {}): IdempotencyClaim => ({
  key: "order-1",
  fingerprint,
  token: "token-1",
  ...over,
});
const answer: KeptAnswer = { status: 201, statusText: "Created", headers: [["x-id", "1"]], body: new Uint8Array([1]) };
const mark = marked(claim(), T0, SETTINGS);

describe("the Idempotency-Key header", () => {
  const headers = (value: string) => new Headers({ "Idempotency-Key": value });

  it("applies to POST and PATCH only", () => {
    expect(idempotencyKeyOf("POST", headers("a"))).toBe("a");
    expect(idempotencyKeyOf("PATCH", headers("a"))).toBe("a");
    for (const method of ["GET", "PUT", "DELETE", "HEAD", "OPTIONS"]) {
      expect(idempotencyKeyOf(method, headers("\u00e9"))).toBeUndefined();
    }
    expect(idempotencyKeyOf("POST", new Headers())).toBeUndefined();
  });

  it("takes 1 to 255 printable ASCII characters, and answers anything else with a 400 naming the header", () => {
    expect(idempotencyKeyOf("POST", headers("a ~!".padEnd(255, "x")))).toHaveLength(255);
    for (const bad of ["", "x".repeat(256), "caf\u00e9", "a\tb", "a\u007fb"]) {
      let thrown: unknown;
      try {
        idempotencyKeyOf("POST", headers(bad));
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify(bad)).toBeInstanceOf(ApiError);
      expect((thrown as ApiError).status).toBe(400);
      expect((thrown as ApiError).message).toMatch(/^Idempotency-Key: /);
    }
  });
});

describe("an Idempotency-Key's life", () => {
  it("sends the first request on, and marks it in flight until the longest answer could have come, with a margin", () => {
    expect(verdictOf(undefined, claim(), T0)).toEqual({ kind: "first" });
    expect(mark).toMatchObject({ state: "in_flight", token: "token-1", expiresAt: T0 + 70_000 });
    const config = parseConfig({
      UPSTREAM_URL: "http://o",
      KEY_PEPPER: "p",
      KEY_PREFIX_SECRET: "s",
      ORIGIN_SIGNING_SECRET: "o",
      ENVIRONMENT: "development",
    });
    // UPSTREAM_TIMEOUT_MS for the headers, 30 s for the body kept, 10 s for the calls to the gate.
    expect(idempotencySettings(config)).toEqual({ ttlMs: 86_400_000, markMs: 30_000 + 30_000 + 10_000 });
  });

  it("answers a repeat in flight with in_flight, and a retried claim of the same attempt with its own mark", () => {
    expect(verdictOf(mark, claim({ token: "token-2" }), T0 + 69_999)).toEqual({ kind: "in_flight" });
    expect(verdictOf(mark, claim(), T0 + 1)).toEqual({ kind: "mine" });
  });

  it("lets the next request through once the mark has expired (the first can no longer be answered)", () => {
    expect(verdictOf(mark, claim({ token: "token-2" }), T0 + 70_000)).toEqual({ kind: "first" });
  });

  it("names what differs when the key comes with another method, path or body, whatever the entry's state", () => {
    const other = (over: Partial<typeof fingerprint>) =>
      claim({ token: "t", fingerprint: { ...fingerprint, ...over } });
    expect(verdictOf(mark, other({ method: "PATCH" }), T0)).toEqual({ kind: "reused", difference: "method" });
    expect(verdictOf(mark, other({ path: "/v1/emails?x=1" }), T0)).toEqual({ kind: "reused", difference: "path" });
    expect(verdictOf(mark, other({ bodySha256: "cd".repeat(32) }), T0)).toEqual({ kind: "reused", difference: "body" });
  });

  it("keeps an answer for the TTL from when it is kept, and replays it", () => {
    const kept = settled(mark, {
      token: "token-1",
      outcome: { kind: "keep", answer },
      now: T0 + 5_000,
      settings: SETTINGS,
    }) as Entry;
    expect(kept).toMatchObject({ state: "kept", expiresAt: T0 + 5_000 + 86_400_000 });
    expect(verdictOf(kept, claim({ token: "t" }), T0 + 86_400_000)).toEqual({ kind: "replay", answer });
    expect(verdictOf(kept, claim({ token: "t" }), T0 + 5_000 + 86_400_000)).toEqual({ kind: "first" });
  });

  it("remembers an answer it could not keep for the TTL: repeats are refused, never sent again", () => {
    const notKept = settled(mark, {
      token: "token-1",
      outcome: { kind: "not_kept", reason: "too_large" },
      now: T0 + 1,
      settings: SETTINGS,
    }) as Entry;
    expect(verdictOf(notKept, claim({ token: "t" }), T0 + 3_600_000)).toEqual({
      kind: "not_kept",
      reason: "too_large",
    });
  });

  it("forgets a request that got no answer to keep: the next one is the first", () => {
    expect(
      settled(mark, { token: "token-1", outcome: { kind: "forget" }, now: T0 + 1, settings: SETTINGS }),
    ).toBeNull();
  });

  it("changes nothing for an outcome that is not the live mark's: another token, an expired mark, a kept answer", () => {
    const outcome = { kind: "keep", answer } as const;
    expect(settled(mark, { token: "token-2", outcome, now: T0 + 1, settings: SETTINGS })).toBeUndefined();
    expect(settled(mark, { token: "token-1", outcome, now: T0 + 70_000, settings: SETTINGS })).toBeUndefined();
    expect(settled(undefined, { token: "token-1", outcome, now: T0, settings: SETTINGS })).toBeUndefined();
    const kept = settled(mark, { token: "token-1", outcome, now: T0 + 1, settings: SETTINGS }) as Entry;
    expect(
      settled(kept, { token: "token-1", outcome: { kind: "forget" }, now: T0 + 2, settings: SETTINGS }),
    ).toBeUndefined();
  });
});
