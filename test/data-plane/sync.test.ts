/**
 * The warm path answers without awaiting anything (see MaybePromise in
 * src/context.ts): a key verified in this isolate is checked synchronously,
 * and a request a lease covers is authorized synchronously. A refactor that
 * makes either `async` fails here, before the benchmark notices.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../src/config";
import type { RequestContext } from "../../src/context";
import { authorize } from "../../src/gate/authorize";
import { checkKey } from "../../src/keys/check";
import type { KeyRecord } from "../../src/keys/records";
import { newStats } from "../../src/stats";
import { traceFrom } from "../../src/trace";
import { countingEnv } from "../support/counting-env";
import { accountWithKey } from "../support/helpers";

const context = (): RequestContext => ({
  env,
  config: getConfig(env),
  requestId: "sync-test",
  trace: traceFrom(null, crypto.randomUUID()),
  stats: newStats(),
  waitUntil: () => undefined,
});

describe("the warm path", () => {
  it("checks a key verified in this isolate without a promise", async () => {
    const { key } = await accountWithKey();
    const cold = checkKey(context(), key.key);
    expect(cold).toBeInstanceOf(Promise);
    await cold;
    const warm = checkKey(context(), key.key);
    expect(warm).not.toBeInstanceOf(Promise);
    expect((warm as KeyRecord).id).toBe(key.id);
  });

  it("authorizes a request covered by a lease without a promise", async () => {
    const { key } = await accountWithKey({ rateLimit: { limit: 100_000, windowSeconds: 60 } });
    const gw = countingEnv();
    // Make the key busy enough for a lease, through the real pipeline.
    const started = Date.now();
    while (Date.now() - started < 600) await gw.fetch("/v1/domains", { headers: { "X-API-Key": key.key } });
    const record = checkKey(context(), key.key) as KeyRecord;
    const decided = authorize(context(), { record, method: "GET", resource: "domains" });
    expect(decided).not.toBeInstanceOf(Promise);
    expect((decided as Record<string, string>)["X-RateLimit-Limit"]).toBe("100000");
  });
});
