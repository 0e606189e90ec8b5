import { describe, expect, it } from "vitest";
import { allows, requiredScope } from "../../src/keys/scopes";
import { resourceOf } from "../../src/url";
import { accountWithKey, call, errorOf, marker, originRequests } from "../support/helpers";

const scopeOf = (method: string, path: string) => requiredScope(method, resourceOf(path));

describe("requiredScope", () => {
  it("needs {resource}:read for GET and HEAD, {resource}:write for anything else", () => {
    expect(scopeOf("GET", "/v1/domains")).toBe("domains:read");
    expect(scopeOf("HEAD", "/v1/domains/example.com")).toBe("domains:read");
    for (const method of ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      expect(scopeOf(method, "/v1/messages/123")).toBe("messages:write");
    }
  });

  it("needs the full-access scope for paths that name no resource", () => {
    expect(scopeOf("GET", "/v1/")).toBe("*");
    expect(scopeOf("GET", "/v1")).toBe("*");
    expect(scopeOf("GET", "/v1/.json")).toBe("*");
  });

  it("reads the resource as origins route it: decoded, any case, without a format (route-matching.test.ts)", () => {
    expect(scopeOf("GET", "/v1/%64omains")).toBe("domains:read");
    expect(scopeOf("POST", "/v1/Domains.json")).toBe("domains:write");
  });
});

describe("allows", () => {
  it("lets write imply read and * allow everything", () => {
    expect(allows(["domains:write"], "domains:read")).toBe(true);
    expect(allows(["domains:read"], "domains:write")).toBe(false);
    expect(allows(["domains:read"], "messages:read")).toBe(false);
    expect(allows(["*"], "anything:write")).toBe(true);
    expect(allows(["domains:write"], "*")).toBe(false);
  });

  it("lets *:read allow GET and HEAD on every resource, and nothing else", () => {
    expect(allows(["*:read"], "domains:read")).toBe(true);
    expect(allows(["*:read"], "messages:read")).toBe(true);
    expect(allows(["*:read"], "messages:write")).toBe(false);
    expect(allows(["*:read"], "*")).toBe(false);
  });
});

describe("scopes at the edge", () => {
  it("lets a read-only key GET and HEAD its resource", async () => {
    const { key } = await accountWithKey({ scopes: ["domains:read"] });
    expect((await call(key.key, "/v1/domains")).status).toBe(200);
    expect((await call(key.key, "/v1/domains/example.com", { method: "HEAD" })).status).toBe(200);
  });

  it("answers 403 FORBIDDEN, with no-store and rate-limit headers, to a write without the scope", async () => {
    const { key } = await accountWithKey({ scopes: ["domains:read"] });
    const m = marker();
    const response = await call(key.key, `/v1/domains/${m}`, { method: "POST", body: "{}" });
    expect(response.status).toBe(403);
    expect((await errorOf(response)).code).toBe("FORBIDDEN");
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.get("x-ratelimit-limit")).toBe("100");
    expect(await originRequests({ pathContains: m })).toHaveLength(0);
  });

  it("answers 403 for another resource", async () => {
    const { key } = await accountWithKey({ scopes: ["domains:write"] });
    expect((await call(key.key, "/v1/messages")).status).toBe(403);
    expect((await call(key.key, "/v1/domains", { method: "DELETE" })).status).toBe(200);
    expect((await call(key.key, "/v1/domains")).status).toBe(200);
  });

  it("lets a * key do anything, including paths without a resource", async () => {
    const { key } = await accountWithKey();
    expect((await call(key.key, "/v1/")).status).toBe(200);
    expect((await call(key.key, "/v1/anything", { method: "PUT", body: "x" })).status).toBe(200);
  });

  it("checks the scope before the rate limit (403, not 429, once the limit is spent)", async () => {
    const { key } = await accountWithKey({ scopes: ["domains:read"], rateLimit: { limit: 1, windowSeconds: 60 } });
    expect((await call(key.key, "/v1/domains")).status).toBe(200);
    expect((await call(key.key, "/v1/domains")).status).toBe(429);
    expect((await call(key.key, "/v1/domains", { method: "POST" })).status).toBe(403);
  });

  it("does not spend the rate limit on forbidden requests", async () => {
    const { key } = await accountWithKey({ scopes: ["domains:read"], rateLimit: { limit: 2, windowSeconds: 60 } });
    for (let i = 0; i < 5; i++) expect((await call(key.key, "/v1/messages")).status).toBe(403);
    expect((await call(key.key, "/v1/domains")).status).toBe(200);
    expect((await call(key.key, "/v1/domains")).status).toBe(200);
  });
});
