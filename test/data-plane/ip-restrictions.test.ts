/**
 * A key's allowed IP addresses at the edge (CONTRACT §1 step 2, §8): the
 * client address is CF-Connecting-IP; a request from any other address, or
 * from an address the edge did not give, is a 403 with the documented
 * message, after the scope check and before every limit, reaches no origin,
 * counts against no limit or quota, and shows as `forbidden` in usage.
 */
import { describe, expect, it } from "vitest";
import { accountWithKey, admin, call, dataOf, errorOf, marker, originRequests } from "../support/helpers";

const FROM_IP = "This API key cannot be used from this IP address";

/** A request with `key` from `ip` (no CF-Connecting-IP when null), to a path marked for this test. */
function from(ip: string | null, key: string, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (ip !== null) headers.set("CF-Connecting-IP", ip);
  return call(key, path, { ...init, headers });
}

describe("allowedIps", () => {
  it("admits a client at a listed address or in a listed range, IPv4 or IPv6", async () => {
    const { key } = await accountWithKey({ allowedIps: ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"] });
    for (const ip of ["203.0.113.7", "198.51.100.200", "2001:db8:1::5", "2001:DB8::1", "::ffff:198.51.100.9"]) {
      expect((await from(ip, key.key, "/v1/domains")).status, ip).toBe(200);
    }
  });

  it("refuses any other client with 403 FORBIDDEN and the documented message; nothing reaches the origin", async () => {
    const { key } = await accountWithKey({ allowedIps: ["203.0.113.7", "2001:db8::/32"] });
    const m = marker();
    for (const ip of ["203.0.113.8", "10.0.0.1", "2001:db9::1", "203.0.113.7, 10.0.0.1", "garbage", null]) {
      const response = await from(ip, key.key, `/v1/domains/${m}`);
      expect(response.status, String(ip)).toBe(403);
      expect(await errorOf(response)).toEqual({ code: "FORBIDDEN", message: FROM_IP });
      expect(response.headers.get("cache-control")).toBe("no-store");
      expect(response.headers.get("x-ratelimit-limit")).toBe("100");
    }
    expect(await originRequests({ pathContains: m })).toHaveLength(0);
  });

  it("is checked after the scope: a key without the route's scope gets the scope's 403 wherever it is", async () => {
    const { key } = await accountWithKey({ scopes: ["domains:read"], allowedIps: ["203.0.113.7"] });
    const response = await from("10.0.0.1", key.key, "/v1/messages", { method: "POST", body: "{}" });
    expect(response.status).toBe(403);
    expect((await errorOf(response)).message).toBe("This API key does not have the scope this route needs");
  });

  it("is checked before the limits: refused requests count against none, and as forbidden in usage", async () => {
    const { account, key } = await accountWithKey(
      { allowedIps: ["203.0.113.7"], rateLimit: { limit: 2, windowSeconds: 60 } },
      { quota: { limit: 2, period: "day" } },
    );
    for (let i = 0; i < 5; i++) expect((await from("10.0.0.1", key.key, "/v1/domains")).status).toBe(403);
    // The whole budget is still there: two admitted, then the limit's 429.
    const first = await from("203.0.113.7", key.key, "/v1/domains");
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-remaining")).toBe("1");
    expect(first.headers.get("x-quota-remaining")).toBe("1");
    expect((await from("203.0.113.7", key.key, "/v1/domains")).status).toBe(200);
    expect((await from("203.0.113.7", key.key, "/v1/domains")).status).toBe(429);
    const { rows } = await dataOf<{ rows: Array<Record<string, number | string>> }>(
      await admin("GET", `/accounts/${account.id}/usage`),
    );
    expect(rows).toEqual([expect.objectContaining({ keyId: key.id, admitted: 2, rateLimited: 1, forbidden: 5 })]);
  });
});
