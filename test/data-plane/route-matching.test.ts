/**
 * Resource matching as origins route (CONTRACT §1): scopes, ROUTE_COSTS and
 * UPSTREAM_ROUTES match a resource percent-decoded, in ASCII lowercase, with
 * a trailing `/` and the last segment's `.{format}` ignored, and HEAD as GET;
 * the path forwarded stays byte for byte as received. Each spelling an
 * attacker tries to dodge a cost, a scope or a route with is here.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { parseRoute, routeKey, routeList, routeMethod, routeResource } from "../../src/routes";
import { accountWithKey, call, createAccount, createKey, gatewayWith, type OriginRecord } from "../support/helpers";

/** Spellings of `/v1/messages` that common origins route to the messages handler. */
const MESSAGES = [
  "/v1/messages",
  "/v1/Messages",
  "/v1/MESSAGES",
  "/v1/mess%61ges",
  "/v1/%4dessages",
  "/v1/%4Dessages",
  "/v1/mess%2561ges",
  "/v1/messages.json",
  "/v1/messages.JSON",
  "/v1/messages.json.",
  "/v1/messages.xml.json",
  "/v1/messages/",
  "/v1/Messages.json/",
];

describe("routeResource", () => {
  it.each(MESSAGES)("reads %s as messages", (path) => {
    expect(routeResource(path)).toBe("messages");
  });

  it("keeps deeper segments out of the resource, and a format only on the last segment", () => {
    expect(routeResource("/v1/Messages/123.json")).toBe("messages");
    expect(routeResource("/v1/messages.json/123")).toBe("messages.json");
  });

  it("finds no resource in /v1, /v1/ or a segment that is only a format", () => {
    for (const path of ["/v1", "/v1/", "/v1/.json", "/v1/.json/", "/v1/..json"]) expect(routeResource(path)).toBe("");
  });

  it("lowercases by ASCII rules only: the long s, the Kelvin sign and the dotted I match no ASCII name", () => {
    expect(routeResource("/v1/me%C5%BF%C5%BFages")).not.toBe("messages");
    expect(routeResource("/v1/%E2%84%AAeys")).not.toBe("keys");
    expect(routeResource("/v1/%C4%B0nvoices")).not.toBe("invoices");
    expect(routeResource("/v1/me%C5%BF%C5%BFages")).not.toMatch(/^[a-z0-9_-]+$/);
  });
});

describe("routes in lists (sending routes and the like)", () => {
  it("matches HEAD as GET, any method case, and each spelling of the path", () => {
    expect(routeMethod("HEAD")).toBe("GET");
    expect(routeMethod("patch")).toBe("PATCH");
    const sending = routeList(["POST /v1/emails", "POST /v1/Emails/Batch"]);
    for (const path of ["/v1/emails", "/v1/Emails", "/v1/em%61ils.json", "/v1/emails/", "/v1/EMAILS/batch.json"]) {
      expect(sending("POST", path), path).toBe(true);
    }
    expect(sending("GET", "/v1/emails")).toBe(false);
    expect(sending("POST", "/v1/emails/1")).toBe(false);
    expect(sending("POST", "/v1/emails.json/batch")).toBe(false);
    expect(routeList(["* /v1/reports"])("HEAD", "/v1/Reports.csv")).toBe(true);
    expect(routeList(["GET /v1/reports"])("HEAD", "/v1/reports")).toBe(true);
  });

  it("normalises a configured route the way a request's is, and refuses what is not a route", () => {
    expect(parseRoute("HEAD /v1/Reports/")).toBe("GET /v1/reports");
    expect(parseRoute("post /v1/mess%61ges.json")).toBe("POST /v1/messages");
    expect(parseRoute("*")).toBe("*");
    expect(routeKey("post", "/v1/Emails/Batch/")).toBe("POST /v1/emails/batch");
    for (const bad of ["POST", "POST v1/emails", "/v1/emails", "POST  /v1/emails"]) expect(parseRoute(bad)).toBeNull();
    expect(() => routeList(["*"])).toThrow();
  });
});

describe("configured routes are normalised at load", () => {
  const base = { UPSTREAM_URL: "https://origin.example", KEY_PEPPER: "p", KEY_PREFIX_SECRET: "s" };
  const vars = { ...base, ENVIRONMENT: "development", ORIGIN_SIGNING_SECRET: "o" };

  it("reads ROUTE_COSTS and UPSTREAM_ROUTES keys in any spelling", () => {
    const config = parseConfig({
      ...vars,
      ROUTE_COSTS: JSON.stringify({ "POST /v1/Messages": 5, "HEAD /v1/reports.json": 10, "* /v1/Domains/": 0, "*": 1 }),
      UPSTREAM_ROUTES: JSON.stringify({ Messages: "https://messages.internal" }),
    });
    expect(Object.fromEntries(config.ROUTE_COSTS)).toEqual({
      "POST /v1/messages": 5,
      "GET /v1/reports": 10,
      "* /v1/domains": 0,
      "*": 1,
    });
    expect(config.UPSTREAM_ROUTES).toEqual({ messages: "https://messages.internal" });
  });

  it("refuses two spellings of one route with different values, naming the variable", () => {
    expect(() =>
      parseConfig({ ...vars, ROUTE_COSTS: JSON.stringify({ "POST /v1/Messages": 5, "POST /v1/messages": 1 }) }),
    ).toThrow(/ROUTE_COSTS: "POST \/v1\/Messages" and "POST \/v1\/messages" name one route/);
    expect(() => parseConfig({ ...vars, ROUTE_COSTS: JSON.stringify({ "GET /v1/x": 5, "HEAD /v1/x": 1 }) })).toThrow(
      /ROUTE_COSTS/,
    );
    expect(() =>
      parseConfig({ ...vars, UPSTREAM_ROUTES: JSON.stringify({ a: "https://a.example", A: "https://b.example" }) }),
    ).toThrow(/UPSTREAM_ROUTES/);
  });

  it("refuses keys that name no resource", () => {
    for (const key of ["POST /v1/", "POST /v1/.json", "GET /v1/a/b", "FETCH /v1/x", "POST /v2/x", "x"]) {
      expect(() => parseConfig({ ...vars, ROUTE_COSTS: JSON.stringify({ [key]: 1 }) }), key).toThrow(/ROUTE_COSTS/);
    }
    expect(() => parseConfig({ ...vars, UPSTREAM_ROUTES: JSON.stringify({ ".json": "https://a.example" }) })).toThrow(
      /UPSTREAM_ROUTES/,
    );
  });
});

describe("scopes match the resource as origins route it", () => {
  it.each(MESSAGES)("lets a messages:read key GET %s, and refuses it a write there", async (path) => {
    const { key } = await accountWithKey({ scopes: ["messages:read"] });
    expect((await call(key.key, path)).status).toBe(200);
    expect((await call(key.key, path, { method: "HEAD" })).status).toBe(200);
    expect((await call(key.key, path, { method: "DELETE" })).status).toBe(403);
  });

  it("refuses another resource's key every spelling of messages", async () => {
    const { key } = await accountWithKey({ scopes: ["domains:write"] });
    for (const path of MESSAGES) expect((await call(key.key, path)).status, path).toBe(403);
  });

  it("needs the full-access scope for a path that names no resource, however it is spelled", async () => {
    const { key } = await accountWithKey({ scopes: ["messages:write", "keys:write", "*:read"] });
    for (const path of [
      "/v1/.json",
      "/v1/messages/..",
      "/v1/messages/%2e%2e",
      "/v1/me%C5%BF%C5%BFages",
      "/v1/%E2%84%AAeys",
    ]) {
      expect((await call(key.key, path, { method: "POST", body: "{}" })).status, path).toBe(403);
    }
  });

  it("reads a scope's resource name in any case", async () => {
    const { key } = await accountWithKey({ scopes: ["Messages:write"] });
    expect((await call(key.key, "/v1/messages", { method: "POST", body: "{}" })).status).toBe(200);
    expect((await call(key.key, "/v1/MESSAGES")).status).toBe(200);
  });
});

describe("ROUTE_COSTS match the resource as origins route it", () => {
  const costs = {
    ROUTE_COSTS: JSON.stringify({ "POST /v1/Messages": 5, "GET /v1/reports": 10, "*": 1 }),
    // No lease: each request's cost is read off its own X-Quota-Remaining.
    LEASE_MS: "0",
  };

  async function quotaKey() {
    const account = await createAccount({ quota: { limit: 100_000, period: "month" } });
    const key = await createKey(account.id);
    let remaining = 100_000;
    /** What one request costs. */
    return async (method: string, path: string) => {
      const response = await gatewayWith(costs, path, { method, headers: { "X-API-Key": key.key } });
      expect(response.status, `${method} ${path}`).toBe(200);
      const now = Number(response.headers.get("x-quota-remaining"));
      const spent = remaining - now;
      remaining = now;
      return spent;
    };
  }

  it.each(MESSAGES)("charges POST %s what POST /v1/messages costs", async (path) => {
    const cost = await quotaKey();
    expect(await cost("POST", path)).toBe(5);
    expect(await cost("GET", path)).toBe(1);
  });

  it("charges HEAD what GET costs, in every spelling", async () => {
    const cost = await quotaKey();
    expect(await cost("GET", "/v1/reports")).toBe(10);
    expect(await cost("HEAD", "/v1/reports")).toBe(10);
    expect(await cost("HEAD", "/v1/Reports.json")).toBe(10);
    expect(await cost("POST", "/v1/reports")).toBe(1);
  });

  it("charges a non-ASCII look-alike the default, never a configured route's price by Unicode folding", async () => {
    const cost = await quotaKey();
    expect(await cost("POST", "/v1/me%C5%BF%C5%BFages")).toBe(1);
  });
});

describe("UPSTREAM_ROUTES match the resource as origins route it", () => {
  const routed = () => ({
    UPSTREAM_ROUTES: JSON.stringify({ Messages: `http://127.0.0.1:${env.ORIGIN_PORT}/messages-service` }),
  });

  it("sends every spelling of messages to its upstream, the path byte for byte as received", async () => {
    const { key } = await accountWithKey();
    for (const path of MESSAGES) {
      const response = await gatewayWith(routed(), `${path}?x=%41`, { headers: { "X-API-Key": key.key } });
      expect(response.status, path).toBe(200);
      const seen = (await response.json()) as OriginRecord;
      expect(seen.path, path).toBe(`/messages-service${path}?x=%41`);
      expect(seen.signature).toBe("ok");
    }
  });

  it("sends a look-alike or a format-only resource to UPSTREAM_URL", async () => {
    const { key } = await accountWithKey();
    for (const path of ["/v1/me%C5%BF%C5%BFages", "/v1/.json", "/v1/messages.json/1"]) {
      const response = await gatewayWith(routed(), path, { headers: { "X-API-Key": key.key } });
      expect(((await response.json()) as OriginRecord).path, path).toBe(path);
    }
  });
});
