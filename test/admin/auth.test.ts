import { describe, expect, it } from "vitest";
import { admin, errorOf, gateway, gatewayWith } from "../support/helpers";

describe("admin authentication", () => {
  it.each([
    ["no Authorization header", {}],
    ["a wrong token", { Authorization: "Bearer wrong-token" }],
    ["a token of another length", { Authorization: "Bearer test-admin-token-but-longer" }],
    ["another scheme", { Authorization: "Basic dGVzdDp0ZXN0" }],
    ["an empty bearer", { Authorization: "Bearer " }],
  ])("answers 401 UNAUTHORIZED with %s", async (_, headers) => {
    const response = await gateway("/admin/accounts", {
      method: "POST",
      headers: { ...headers, "Content-Type": "application/json" },
      body: "{}",
    });
    expect(response.status).toBe(401);
    expect(await errorOf(response)).toEqual({ code: "UNAUTHORIZED", message: "Invalid or missing admin token" });
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });

  it("answers 404 on every admin path when ADMIN_TOKEN is unset", async () => {
    for (const path of ["/admin/accounts", "/admin/openapi.json", "/admin/docs", "/admin/anything"]) {
      const response = await gatewayWith({ ADMIN_TOKEN: undefined }, path, {
        method: "POST",
        headers: { Authorization: "Bearer test-admin-token" },
      });
      expect(response.status).toBe(404);
      expect((await errorOf(response)).code).toBe("NOT_FOUND");
    }
  });

  it("serves the OpenAPI document describing every admin route", async () => {
    const response = await gateway("/admin/openapi.json");
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/accounts",
      "/accounts/{accountId}",
      "/accounts/{accountId}/audit-log",
      "/accounts/{accountId}/keys",
      "/accounts/{accountId}/keys/{keyId}",
      "/accounts/{accountId}/keys/{keyId}/rotate",
      "/accounts/{accountId}/usage",
      "/accounts/{accountId}/users",
      "/accounts/{accountId}/users/{userId}",
      "/accounts/{accountId}/webhook-secret",
      "/leaked-keys",
    ]);
    expect(Object.keys(doc.paths["/accounts/{accountId}/keys/{keyId}"] ?? {}).sort()).toEqual(["delete", "patch"]);
    expect(Object.keys(doc.paths["/accounts/{accountId}/users"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(doc.paths["/accounts/{accountId}/users/{userId}"] ?? {}).sort()).toEqual(["delete", "patch"]);
  });

  it("answers 401 before anything else for an unknown admin path without a token", async () => {
    const response = await gateway("/admin/nothing-here");
    expect(response.status).toBe(401);
  });

  it("answers 404 for an unknown admin path with the token", async () => {
    const response = await admin("GET", "/nothing-here");
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe("NOT_FOUND");
  });
});
