/**
 * Test keys (CONTRACT §2, §8): every forwarded request says its key's mode in
 * X-MoMail-Mode, under the signature, whatever the client sent; a test key's
 * requests go to SANDBOX_UPSTREAM_URL when it is set (whatever UPSTREAM_ROUTES
 * says), else where a live key's go; they count against the rate limits and
 * never against the account's quota, whose headers they do not carry (it
 * does not apply to them), even once a live key has used it up.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  accountWithKey,
  admin,
  call,
  createAccount,
  createKey,
  dataOf,
  gatewayWith,
  type OriginRecord,
} from "../support/helpers";

const origin = () => `http://127.0.0.1:${env.ORIGIN_PORT}`;
const echo = async (response: Response) => {
  expect(response.status).toBe(200);
  return (await response.json()) as OriginRecord;
};

describe("every forwarded request", () => {
  it("says its key's mode in X-MoMail-Mode, signed, and never the client's", async () => {
    const { key: live } = await accountWithKey();
    const { key: test } = await accountWithKey({ mode: "test" });
    const lying = { headers: { "X-MoMail-Mode": "live", X_MoMail_Mode: "live" } };
    const seenLive = await echo(await call(live.key, "/v1/domains", { headers: { "X-MoMail-Mode": "test" } }));
    expect(seenLive.headers["x-momail-mode"]).toBe("live");
    expect(seenLive.signature).toBe("ok");
    const seenTest = await echo(await call(test.key, "/v1/domains", lying));
    expect(seenTest.headers["x-momail-mode"]).toBe("test");
    expect(seenTest.signature).toBe("ok");
  });
});

describe("a test key", () => {
  it("goes to SANDBOX_UPSTREAM_URL when it is set, whatever the resource; a live key does not", async () => {
    const { key: test } = await accountWithKey({ mode: "test" });
    const { key: live } = await accountWithKey();
    const bindings = {
      SANDBOX_UPSTREAM_URL: `${origin()}/sandbox`,
      UPSTREAM_ROUTES: JSON.stringify({ emails: `${origin()}/mail-service` }),
    };
    const send = (key: string, path: string) => gatewayWith(bindings, path, { headers: { "X-API-Key": key } });
    expect((await echo(await send(test.key, "/v1/domains?x=1"))).path).toBe("/sandbox/v1/domains?x=1");
    expect((await echo(await send(test.key, "/v1/emails"))).path).toBe("/sandbox/v1/emails");
    expect((await echo(await send(live.key, "/v1/domains"))).path).toBe("/v1/domains");
    expect((await echo(await send(live.key, "/v1/emails"))).path).toBe("/mail-service/v1/emails");
    // Signed over the path the sandbox receives.
    expect((await echo(await send(test.key, "/v1/domains"))).signature).toBe("ok");
  });

  it("goes where a live key's requests go when SANDBOX_UPSTREAM_URL is not set", async () => {
    const { key } = await accountWithKey({ mode: "test" });
    const seen = await echo(await call(key.key, "/v1/domains"));
    expect(seen.path).toBe("/v1/domains");
    expect(seen.headers["x-momail-mode"]).toBe("test");
  });

  it("counts against its rate limit like any key", async () => {
    const { key } = await accountWithKey({ mode: "test", rateLimit: { limit: 2, windowSeconds: 60 } });
    expect((await call(key.key)).status).toBe(200);
    expect((await call(key.key)).status).toBe(200);
    expect((await call(key.key)).status).toBe(429);
  });

  it("never counts against the quota nor is refused by it, and carries no quota headers", async () => {
    const account = await createAccount({ quota: { limit: 2, period: "day" } });
    const live = await createKey(account.id);
    const test = await createKey(account.id, { mode: "test" });
    for (let i = 0; i < 3; i++) {
      const response = await call(test.key);
      expect(response.status).toBe(200);
      expect(response.headers.get("x-quota-limit")).toBeNull();
      expect(response.headers.get("ratelimit-policy")).not.toContain("quota");
      expect(response.headers.get("x-ratelimit-limit")).toBe("100");
    }
    const first = await call(live.key);
    expect(first.headers.get("x-quota-remaining")).toBe("1");
    expect((await call(live.key)).status).toBe(200);
    expect((await call(live.key)).status).toBe(429);
    // The quota is used up (and this isolate repeats the live key's 429): the test key still passes.
    expect((await call(test.key)).status).toBe(200);
    const got = await dataOf<{ quotaUsage: { used: number } }>(await admin("GET", `/accounts/${account.id}`));
    expect(got.quotaUsage.used).toBe(2);
  });
});
