/**
 * The list's marks and the DASHBOARD_RESOURCES variable, checked without a
 * request: the leaked mark renders from a key's `leakedAt`, the `leaked`
 * filter keeps only such keys, and a malformed resource list is a
 * configuration error naming the variable.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config";
import { KeyTable } from "../../src/dashboard/api-keys/key-table";
import { parseListQuery, selectKeys } from "../../src/dashboard/api-keys/list";
import type { Account, ApiKey } from "../../src/db/schema";

const BASE = {
  UPSTREAM_URL: "http://127.0.0.1:9",
  KEY_PEPPER: "p".repeat(40),
  KEY_PREFIX_SECRET: "k".repeat(40),
  ORIGIN_SIGNING_SECRET: "s".repeat(40),
};
const now = new Date();
const account = { id: "acct_x", name: "Acme", rateLimitLimit: null, rateLimitWindowSeconds: null } as Account;
const key = (name: string, extra: Partial<ApiKey> = {}): ApiKey =>
  ({
    id: `key_${name.padEnd(20, "0")}`,
    accountId: account.id,
    name,
    prefix: name.slice(0, 8).padEnd(8, "0").toLowerCase(),
    scopes: ["*"],
    rateLimitLimit: null,
    rateLimitWindowSeconds: null,
    expiresAt: null,
    rotatedAt: null,
    lastUsedAt: now,
    createdAt: now,
    leakedAt: null,
    ...extra,
  }) as ApiKey;

describe("the leaked mark", () => {
  it("shows on a key whose leakedAt is set, and only there", async () => {
    const html = String(
      await KeyTable({
        keys: [key("Leaky", { leakedAt: new Date(Date.UTC(2026, 5, 1, 9, 30)) }), key("Clean")],
        account,
        config: parseConfig(BASE),
        query: parseListQuery({}),
        csrfToken: "t",
      }),
    );
    expect(html.match(/>Leaked</g)).toHaveLength(1);
    expect(html).toContain('title="Reported as leaked 1 Jun 2026, 09:30 UTC: roll or delete it"');
    expect(html).toContain('<tr class="leaked">');
  });

  it("is what status=leaked keeps", () => {
    const keys = [key("Leaky", { leakedAt: now }), key("Clean"), key("Unknown", { leakedAt: null })];
    expect(selectKeys(keys, parseListQuery({ status: "leaked" })).map((k) => k.name)).toEqual(["Leaky"]);
  });
});

describe("DASHBOARD_RESOURCES", () => {
  it("is read as a comma-separated list, trimmed, without repeats", () => {
    expect(parseConfig({ ...BASE, DASHBOARD_RESOURCES: " domains, messages,,domains " }).DASHBOARD_RESOURCES).toEqual([
      "domains",
      "messages",
    ]);
  });

  it("defaults to the resources UPSTREAM_ROUTES and ROUTE_COSTS name, else none", () => {
    expect(parseConfig(BASE).DASHBOARD_RESOURCES).toEqual([]);
    const routed = parseConfig({
      ...BASE,
      UPSTREAM_ROUTES: '{"templates": "http://127.0.0.1:9/t"}',
      ROUTE_COSTS: '{"POST /v1/messages": 2, "* /v1/templates": 1, "*": 1}',
    });
    expect(routed.DASHBOARD_RESOURCES).toEqual(["templates", "messages"]);
  });

  it("refuses a malformed name with an error naming the variable", () => {
    expect(() => parseConfig({ ...BASE, DASHBOARD_RESOURCES: "domains,bad name" })).toThrow(ConfigError);
    expect(() => parseConfig({ ...BASE, DASHBOARD_RESOURCES: "domains,bad name" })).toThrow(/DASHBOARD_RESOURCES/);
  });
});
