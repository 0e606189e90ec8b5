import { exports } from "cloudflare:workers";
import ky from "ky";
import { describe, expect, it } from "vitest";
import { accountWithKey, call, marker, originRequests } from "../support/helpers";

describe("a standard client that honours Retry-After", () => {
  it("(ky) backs off for the time our 429 says, then gets through", async () => {
    const { key } = await accountWithKey({ rateLimit: { limit: 1, windowSeconds: 2 } });
    const m = marker();
    expect((await call(key.key, `/v1/domains/${m}`)).status).toBe(200);

    const attempts: Array<{ at: number; status: number; retryAfter: string | null }> = [];
    const client = ky.create({
      baseUrl: "http://localhost/",
      headers: { "X-API-Key": key.key },
      retry: { limit: 3, statusCodes: [429], afterStatusCodes: [429] },
      fetch: async (input, init) => {
        const response = await exports.default.fetch(new Request(input, init));
        attempts.push({ at: Date.now(), status: response.status, retryAfter: response.headers.get("retry-after") });
        return response;
      },
    });
    const started = Date.now();
    const body = await client.get(`v1/domains/${m}`).json<{ path: string }>();

    expect(body.path).toBe(`/v1/domains/${m}`);
    expect(attempts.map((a) => a.status)).toEqual([429, 200]);
    const waited = (attempts[1]?.at ?? 0) - started;
    // It waited what Retry-After said (whole seconds), not its own short default backoff.
    expect(waited).toBeGreaterThanOrEqual(Number(attempts[0]?.retryAfter) * 1000 - 1100);
    expect(Number(attempts[0]?.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(await originRequests({ pathContains: m })).toHaveLength(2);
  });
});
