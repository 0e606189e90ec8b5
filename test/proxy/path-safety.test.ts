import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { accountWithKey, call, errorOf, gateway, gatewayWith, marker, originRequests } from "../support/helpers";

describe("path safety", () => {
  it.each([
    ["an encoded slash", "/v1/domains/..%2F..%2Fadmin%2Faccounts"],
    ["an encoded lower-case slash", "/v1/domains/%2f%2e%2e"],
    ["an encoded backslash", "/v1/domains/..%5C..%5Cadmin"],
    ["encoded dots that survive parsing", "/v1/domains/%2e%2e%2fdashboard"],
    ["a doubled slash", "/v1//admin/accounts"],
    ["an encoded NUL", "/v1/domains/a%00b"],
    ["a path parameter on a dot segment (Tomcat, Jetty, Spring strip it)", "/v1/domains/..;/messages"],
    ["a path parameter on any segment", "/v1/domains;jsessionid=x/example.com"],
    ["an encoded semicolon", "/v1/domains/..%3b/messages"],
    ["double-encoded dots", "/v1/domains/%252e%252e/messages"],
    ["double-encoded dots, mixed case", "/v1/domains/%252E%252e/messages"],
    ["a double-encoded slash", "/v1/domains/..%252fmessages"],
    ["triple-encoded dots", "/v1/domains/%25252e%25252e/messages"],
    ["a dot segment encoded as overlong UTF-8", "/v1/domains/%c0%ae%c0%ae/messages"],
    ["a slash encoded as overlong UTF-8", "/v1/domains/..%c0%afmessages"],
    ["a dot encoded as three-byte overlong UTF-8", "/v1/domains/%e0%80%ae%e0%80%ae/messages"],
  ])("refuses %s with 400 BAD_REQUEST, and the origin never sees it", async (_, path) => {
    const { key } = await accountWithKey();
    const m = marker();
    const response = await call(key.key, `${path}?${m}`);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toMatch(/^path: /);
    expect(await originRequests({ pathContains: m })).toHaveLength(0);
  });

  it("refuses /v1/domains/..;/messages for a domains:write key, so it never becomes POST /v1/messages", async () => {
    const { key } = await accountWithKey({ scopes: ["domains:write"] });
    const m = marker();
    const response = await call(key.key, `/v1/domains/..;/messages?${m}`, { method: "POST", body: "{}" });
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/^path: /) });
    expect(await originRequests({ pathContains: m })).toHaveLength(0);
  });

  it.each([
    ["a dot inside a name", "/v1/domains/example.com"],
    ["UTF-8 in a name", "/v1/domains/b%C3%BCcher.de"],
    ["an encoded percent sign", "/v1/domains/100%25"],
    ["a semicolon in the query only", "/v1/domains?filter=a;b"],
  ])("forwards a harmless path with %s", async (_, path) => {
    const { key } = await accountWithKey();
    const response = await call(key.key, path);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { path: string }).path).toBe(path);
  });

  it("resolves plain and encoded dot-segments before routing, so /v1/../admin is the admin API, not a proxied path", async () => {
    const { key } = await accountWithKey();
    const m = marker();
    for (const [path, status] of [
      ["/v1/../admin/accounts", 401],
      ["/v1/%2e%2e/admin/accounts", 401],
      // The dashboard: signed out, it sends the browser to its login page.
      ["/v1/domains/../../dashboard", 303],
    ] as const) {
      const response = await call(key.key, `${path}?${m}`, { redirect: "manual" });
      expect(response.status).toBe(status);
    }
    expect(await originRequests({ pathContains: m })).toHaveLength(0);
  });

  it("never lets a path reach another upstream's prefix", async () => {
    const { key } = await accountWithKey();
    const routed = {
      UPSTREAM_ROUTES: JSON.stringify({ messages: `http://127.0.0.1:${env.ORIGIN_PORT}/messages-service` }),
    };
    const m = marker();
    // An encoded slash is refused; a dot segment, plain or encoded, is resolved by the URL parser to
    // /v1/messages, which then goes where /v1/messages goes, with its scope.
    for (const [path, status] of [
      ["/v1/domains/..%2Fmessages", 400],
      ["/v1/domains/%2e%2e/messages", 200],
      ["/v1/domains/../messages", 200],
    ] as const) {
      const response = await gatewayWith(routed, `${path}?${m}`, { headers: { "X-API-Key": key.key } });
      expect(response.status).toBe(status);
      if (status === 200) {
        expect(((await response.json()) as { path: string }).path).toBe(`/messages-service/v1/messages?${m}`);
      }
    }
    const seen = await originRequests({ pathContains: m });
    expect(seen.map((r) => r.path)).toEqual([
      `/messages-service/v1/messages?${m}`,
      `/messages-service/v1/messages?${m}`,
    ]);
  });

  it("checks the scope of the resource the path resolves to", async () => {
    const { key } = await accountWithKey({ scopes: ["domains:read"] });
    expect((await call(key.key, "/v1/domains/../messages")).status).toBe(403);
    expect((await gateway("/v1/domains/../messages")).status).toBe(401);
  });
});
