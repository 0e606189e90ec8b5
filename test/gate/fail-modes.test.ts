import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { isolate } from "../../src/isolate";
import { accountWithKey, admin, errorOf, gatewayWith, marker, originRequests } from "../support/helpers";

type Failure = { message: string; retryable?: boolean; overloaded?: boolean };

/** RATE_LIMITER whose stubs' `check` fails with the given errors, in order, then works. */
function flakyLimiter(failures: Failure[]) {
  const calls = { count: 0 };
  const namespace = {
    getByName(name: string) {
      const stub = env.RATE_LIMITER.getByName(name);
      return {
        check(request: Parameters<typeof stub.check>[0]) {
          calls.count++;
          const failure = failures.shift();
          if (failure) throw Object.assign(new Error(failure.message), failure);
          return stub.check(request);
        },
      };
    },
  };
  return { namespace, calls };
}

const send = (bindings: Record<string, unknown>, key: string, path = "/v1/domains") =>
  gatewayWith(bindings, path, { headers: { "X-API-Key": key } });

const unreachable = (): Failure => ({ message: "Durable Object is unreachable" });

describe("when the key's Durable Object cannot be reached", () => {
  it("fails closed by default: 503 SERVICE_UNAVAILABLE with Retry-After, and nothing reaches the origin", async () => {
    const { key } = await accountWithKey();
    const { namespace } = flakyLimiter([unreachable(), unreachable()]);
    const m = marker();
    const response = await send({ RATE_LIMITER: namespace }, key.key, `/v1/domains/${m}`);
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect((await errorOf(response)).code).toBe("SERVICE_UNAVAILABLE");
    expect(await originRequests({ pathContains: m })).toHaveLength(0);
  });

  it("with RATE_LIMIT_FAIL_OPEN=true lets the request through without a rate limit", async () => {
    const { key } = await accountWithKey({ rateLimit: { limit: 1, windowSeconds: 60 } });
    const { namespace } = flakyLimiter(Array.from({ length: 6 }, unreachable));
    const failOpen = { RATE_LIMITER: namespace, RATE_LIMIT_FAIL_OPEN: "true" };
    const m = marker();
    for (let i = 0; i < 3; i++) {
      const response = await send(failOpen, key.key, `/v1/domains/${m}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("x-ratelimit-limit")).toBeNull();
    }
    expect(await originRequests({ pathContains: m })).toHaveLength(3);
  });

  it("with RATE_LIMIT_FAIL_OPEN=true still refuses a key its cached record knows to be revoked, expired or out of scope", async () => {
    const revoked = await accountWithKey();
    await admin("DELETE", `/accounts/${revoked.account.id}/keys/${revoked.key.id}`);
    const expired = await accountWithKey({ expiresAt: new Date(Date.now() + 300).toISOString() });
    const readOnly = await accountWithKey({ scopes: ["messages:read"] });
    await new Promise((resolve) => setTimeout(resolve, 350));
    isolate.records.clear();
    const { namespace } = flakyLimiter(Array.from({ length: 10 }, unreachable));
    const failOpen = { RATE_LIMITER: namespace, RATE_LIMIT_FAIL_OPEN: "true" };
    expect((await send(failOpen, revoked.key.key)).status).toBe(401);
    expect((await send(failOpen, expired.key.key)).status).toBe(401);
    expect((await send(failOpen, readOnly.key.key, "/v1/domains")).status).toBe(403);
    expect((await send(failOpen, readOnly.key.key, "/v1/messages")).status).toBe(200);
  });

  it("with RATE_LIMIT_FAIL_OPEN=true still refuses what the cached record's restrictions refuse", async () => {
    const { key } = await accountWithKey({ allowedIps: ["203.0.113.7"], allowedSenderDomains: ["acme.test"] });
    isolate.records.clear();
    const { namespace } = flakyLimiter(Array.from({ length: 10 }, unreachable));
    const failOpen = { RATE_LIMITER: namespace, RATE_LIMIT_FAIL_OPEN: "true" };
    const email = (ip: string, body: string) =>
      gatewayWith(failOpen, "/v1/emails", {
        method: "POST",
        headers: { "X-API-Key": key.key, "CF-Connecting-IP": ip, "Content-Type": "application/json" },
        body,
      });
    expect((await email("10.0.0.1", '{"from":"a@acme.test"}')).status).toBe(403);
    const sender = await email("203.0.113.7", '{"from":"x@evil.test"}');
    expect(sender.status).toBe(403);
    expect((await errorOf(sender)).message).toBe("This API key cannot send from this domain");
    expect((await email("203.0.113.7", "not json")).status).toBe(400);
    expect((await email("203.0.113.7", '{"from":"a@acme.test"}')).status).toBe(200);
  });

  it("retries once an error the runtime marks retryable", async () => {
    const { key } = await accountWithKey();
    const { namespace, calls } = flakyLimiter([{ message: "transient", retryable: true }]);
    const response = await send({ RATE_LIMITER: namespace }, key.key);
    expect(response.status).toBe(200);
    expect(calls.count).toBe(2);
  });

  it("does not retry an overloaded object, nor an error not marked retryable", async () => {
    const { key } = await accountWithKey();
    for (const failure of [{ message: "overloaded", retryable: true, overloaded: true }, { message: "broken" }]) {
      const { namespace, calls } = flakyLimiter([failure]);
      expect((await send({ RATE_LIMITER: namespace }, key.key)).status).toBe(503);
      expect(calls.count).toBe(1);
    }
  });
});
