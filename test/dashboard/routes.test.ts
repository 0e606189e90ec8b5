/**
 * The dashboard's route table (src/dashboard/routes.ts), which every
 * router, redirect, link, form and test builds its URLs from: each route is
 * the address docs/dashboard.md documents (bookmarks and the browser test
 * rely on them), each is answered by the dashboard's routers, and hrefs fill
 * in parameters and queries as a browser would send them.
 */
import { describe, expect, it } from "vitest";
import { dashboard } from "../../src/dashboard";
import { DASHBOARD_BASE, routes } from "../support/dashboard";

const keyId = "key_4fT0aaaaaaaaaaaaaaaa";
const revealId = "r".repeat(43);

describe("the dashboard's route table", () => {
  it("gives every page and form its documented address", () => {
    expect({
      root: routes.root.href(),
      login: routes.login.href(),
      logout: routes.logout.href(),
      settings: routes.settings.href(),
      apiKeys: routes.apiKeys.href(),
      newKey: routes.newKey.href(),
      keyShown: routes.keyShown.href({ revealId }),
      renameKey: routes.renameKey.href({ keyId }),
      rollKey: routes.rollKey.href({ keyId }),
      keyRestrictions: routes.keyRestrictions.href({ keyId }),
      deleteKey: routes.deleteKey.href({ keyId }),
      usage: routes.usage.href(),
      usageCsv: routes.usageCsv.href(),
      webhooks: routes.webhooks.href(),
      webhookSecret: routes.webhookSecret.href({ revealId }),
      webhookTest: routes.webhookTest.href(),
      removeWebhook: routes.removeWebhook.href(),
      auditLog: routes.auditLog.href(),
    }).toEqual({
      root: "/dashboard",
      login: "/dashboard/login",
      logout: "/dashboard/logout",
      settings: "/dashboard/settings",
      apiKeys: "/dashboard/settings/api-keys",
      newKey: "/dashboard/settings/api-keys/new",
      keyShown: `/dashboard/settings/api-keys/shown/${revealId}`,
      renameKey: `/dashboard/settings/api-keys/${keyId}/rename`,
      rollKey: `/dashboard/settings/api-keys/${keyId}/roll`,
      keyRestrictions: `/dashboard/settings/api-keys/${keyId}/restrictions`,
      deleteKey: `/dashboard/settings/api-keys/${keyId}/delete`,
      usage: "/dashboard/settings/usage",
      usageCsv: "/dashboard/settings/usage.csv",
      webhooks: "/dashboard/settings/webhooks",
      webhookSecret: `/dashboard/settings/webhooks/secret/${revealId}`,
      webhookTest: "/dashboard/settings/webhooks/test",
      removeWebhook: "/dashboard/settings/webhooks/remove",
      auditLog: "/dashboard/settings/audit-log",
    });
    expect(DASHBOARD_BASE).toBe("/dashboard");
  });

  it("has every route answered by a router of the dashboard", () => {
    const registered = new Set(dashboard.routes.filter((route) => route.method !== "ALL").map((route) => route.path));
    for (const [name, route] of Object.entries(routes)) expect(registered, name).toContain(route.pattern);
  });

  it("encodes parameters and queries, leaves undefined out, and writes a flag bare", () => {
    expect(routes.renameKey.href({ keyId: "a/b c" })).toBe("/dashboard/settings/api-keys/a%2Fb%20c/rename");
    expect(routes.apiKeys.href({ q: "a b&c", status: undefined, sort: "name" })).toBe(
      "/dashboard/settings/api-keys?q=a+b%26c&sort=name",
    );
    expect(routes.login.href({ logged_out: true })).toBe("/dashboard/login?logged_out");
    expect(routes.apiKeys.href({})).toBe("/dashboard/settings/api-keys");
  });
});
