/**
 * Permissions at creation: Full access (`*`, the default), Read only
 * (`*:read`: GET and HEAD on every resource), or Custom access per resource
 * for the resources DASHBOARD_RESOURCES names (else those UPSTREAM_ROUTES and
 * ROUTE_COSTS name). The list says each key's permissions in words.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../../src/config";
import { type Browser, liveKeyRows, MINIMAL_CONFIG, routes, signedIn } from "../../support/dashboard";
import { call, createKey } from "../../support/helpers";

const KEY_PATTERN = /mk_[a-z0-9]{8}_[A-Za-z0-9]{24}/;

async function create(browser: Browser, fields: Record<string, string>) {
  await browser.get(routes.newKey.href());
  const posted = await browser.post(routes.apiKeys.href(), { name: "Scoped", ...fields });
  if (posted.status !== 303) return { status: posted.status, key: undefined };
  await browser.follow(posted);
  return { status: 303, key: KEY_PATTERN.exec(browser.html)?.[0] as string };
}

describe("permissions on Create New Key", () => {
  it("offers Full access (checked) and Read only as labelled radio buttons; no Custom without resources", async () => {
    const { browser } = await signedIn();
    await browser.get(routes.newKey.href());
    expect(browser.html).toContain("<legend>Permissions</legend>");
    expect(browser.html).toMatch(
      /<input type="radio" id="permissions-full" name="permissions" value="full" checked=""/,
    );
    expect(browser.html).toContain('<label for="permissions-full">Full access</label>');
    expect(browser.html).toContain('<label for="permissions-read">Read only</label>');
    expect(browser.html).not.toContain("permissions-custom");
  });

  it("creates a Full access key by default", async () => {
    const { account, browser } = await signedIn();
    const { key } = await create(browser, {});
    expect((await liveKeyRows(account.id))[0]?.scopes).toBe('["*"]');
    expect((await call(key as string, "/v1/domains", { method: "POST" })).status).toBe(200);
  });

  it("creates a Read only key: it reads every resource but cannot write", async () => {
    const { account, browser } = await signedIn();
    const { key } = await create(browser, { permissions: "read" });
    expect((await liveKeyRows(account.id))[0]?.scopes).toBe('["*:read"]');
    expect((await call(key as string, "/v1/domains")).status).toBe(200);
    expect((await call(key as string, "/v1/messages", { method: "HEAD" })).status).toBe(200);
    expect((await call(key as string, "/v1/domains", { method: "POST" })).status).toBe(403);
  });

  it("offers Custom access for the resources of DASHBOARD_RESOURCES, and grants exactly what was chosen", async () => {
    const { account, browser } = await signedIn({}, { DASHBOARD_RESOURCES: "domains, messages" });
    await browser.get(routes.newKey.href());
    expect(browser.html).toContain('<label for="permissions-custom">Custom</label>');
    expect(browser.html).toMatch(/<label for="access-domains"><code>domains<\/code><\/label>/);
    expect(browser.html).toMatch(/<select id="access-messages" name="access.messages">/);

    const { key } = await create(browser, {
      permissions: "custom",
      "access.domains": "read",
      "access.messages": "write",
    });
    expect(JSON.parse((await liveKeyRows(account.id))[0]?.scopes as string)).toEqual([
      "domains:read",
      "messages:write",
    ]);
    expect((await call(key as string, "/v1/domains")).status).toBe(200);
    expect((await call(key as string, "/v1/domains", { method: "POST" })).status).toBe(403);
    expect((await call(key as string, "/v1/messages", { method: "POST" })).status).toBe(200);
    expect((await call(key as string, "/v1/webhooks")).status).toBe(403);
  });

  it("takes the resources from UPSTREAM_ROUTES and ROUTE_COSTS when DASHBOARD_RESOURCES is unset", async () => {
    const { browser } = await signedIn(
      {},
      {
        UPSTREAM_ROUTES: JSON.stringify({ templates: "http://127.0.0.1:9/t" }),
        ROUTE_COSTS: JSON.stringify({ "POST /v1/messages": 2, "*": 1 }),
      },
    );
    await browser.get(routes.newKey.href());
    expect(browser.html).toContain('id="access-templates"');
    expect(browser.html).toContain('id="access-messages"');
  });

  it.each([
    ["Custom granting nothing", { permissions: "custom" }, "Give the key read or read and write access"],
    ["an unknown choice", { permissions: "admin" }, "Choose one of the permissions offered."],
    [
      "Custom without resources to choose from",
      { permissions: "custom", "access.domains": "read" },
      "Choose one of the permissions offered.",
    ],
  ])("refuses %s with 400, a message, and nothing created", async (label, fields, message) => {
    const bindings = label.includes("without") ? undefined : { DASHBOARD_RESOURCES: "domains" };
    const { account, browser } = await signedIn({}, bindings);
    const { status } = await create(browser, fields);
    expect(status).toBe(400);
    expect(browser.html).toContain(message);
    expect(await liveKeyRows(account.id)).toHaveLength(0);
  });

  it("keeps the chosen permissions when the form comes back", async () => {
    const { browser } = await signedIn({}, { DASHBOARD_RESOURCES: "domains" });
    await browser.get(routes.newKey.href());
    await browser.post(routes.apiKeys.href(), { name: "", permissions: "custom", "access.domains": "write" });
    expect(browser.html).toMatch(/id="permissions-custom" name="permissions" value="custom" checked=""/);
    expect(browser.html).toMatch(/<option value="write" selected="">Read and write<\/option>/);
  });

  it("lists each key's permissions in words", async () => {
    const { account, browser } = await signedIn();
    await createKey(account.id, { name: "All", scopes: ["*"] });
    await createKey(account.id, { name: "Reader", scopes: ["*:read"] });
    await createKey(account.id, { name: "Mixed", scopes: ["domains:read", "messages:write"] });
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toContain("<td>Full access</td>");
    expect(browser.html).toContain("<td>Read only</td>");
    expect(browser.html).toContain("<td>domains: read · messages: read &amp; write</td>");
  });
});

describe("DASHBOARD_RESOURCES", () => {
  it("is read as a comma-separated list, trimmed, without repeats", () => {
    expect(
      parseConfig({ ...MINIMAL_CONFIG, DASHBOARD_RESOURCES: " domains, messages,,domains " }).DASHBOARD_RESOURCES,
    ).toEqual(["domains", "messages"]);
  });

  it("defaults to the resources UPSTREAM_ROUTES and ROUTE_COSTS name, else none", () => {
    expect(parseConfig(MINIMAL_CONFIG).DASHBOARD_RESOURCES).toEqual([]);
    const routed = parseConfig({
      ...MINIMAL_CONFIG,
      UPSTREAM_ROUTES: '{"templates": "http://127.0.0.1:9/t"}',
      ROUTE_COSTS: '{"POST /v1/messages": 2, "* /v1/templates": 1, "*": 1}',
    });
    expect(routed.DASHBOARD_RESOURCES).toEqual(["templates", "messages"]);
  });

  it("refuses a malformed name with an error naming the variable", () => {
    expect(() => parseConfig({ ...MINIMAL_CONFIG, DASHBOARD_RESOURCES: "domains,bad name" })).toThrow(ConfigError);
    expect(() => parseConfig({ ...MINIMAL_CONFIG, DASHBOARD_RESOURCES: "domains,bad name" })).toThrow(
      /DASHBOARD_RESOURCES/,
    );
  });
});
