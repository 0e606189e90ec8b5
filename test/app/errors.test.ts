import { describe, expect, it } from "vitest";
import { expectEnvelope } from "../support/envelope";
import { admin, gateway, gatewayWith } from "../support/helpers";

/** The documented envelope (test/support/envelope.ts) with this status and code. */
async function expectError(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  const error = await expectEnvelope(response, undefined, { serverError: status >= 500 });
  expect(error.code).toBe(code);
  return error;
}

describe("the error envelope", () => {
  it("answers unknown routes with 404 NOT_FOUND", async () => {
    await expectError(await gateway("/nowhere"), 404, "NOT_FOUND");
    await expectError(await gateway("/"), 404, "NOT_FOUND");
  });

  it("answers a wrong method on an admin route with 405 METHOD_NOT_ALLOWED and Allow", async () => {
    const response = await admin("PUT", "/accounts");
    await expectError(response, 405, "METHOD_NOT_ALLOWED");
    expect(response.headers.get("allow")).toBe("POST");
    const keyRoute = await admin("PUT", "/accounts/acct_x/keys/key_y");
    await expectError(keyRoute, 405, "METHOD_NOT_ALLOWED");
    expect(keyRoute.headers.get("allow")?.split(", ").sort()).toEqual(["DELETE", "PATCH"]);
  });

  it("answers an unexpected exception with 500 INTERNAL_ERROR and no internals", async () => {
    const broken = {
      DB: {
        prepare() {
          throw new TypeError("secret internal detail at table accounts");
        },
      },
    };
    const response = await gatewayWith(broken, "/admin/accounts", {
      method: "POST",
      headers: { Authorization: "Bearer test-admin-token", "Content-Type": "application/json" },
      body: JSON.stringify({ name: "x" }),
    });
    const error = await expectError(response, 500, "INTERNAL_ERROR");
    expect(error.message).toBe("Internal error");
  });

  it("keeps a sane client X-Request-Id and replaces an unsafe one", async () => {
    const kept = await gateway("/nowhere", { headers: { "X-Request-Id": "client-req-123" } });
    expect(kept.headers.get("x-request-id")).toBe("client-req-123");
    const replaced = await gateway("/nowhere", { headers: { "X-Request-Id": "bad id; <script>" } });
    expect(replaced.headers.get("x-request-id")).not.toContain("script");
    expect(replaced.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers a misconfigured gateway with 500 naming the variable in development", async () => {
    const response = await gatewayWith({ UPSTREAM_URL: "not a url" }, "/v1/domains");
    const error = await expectError(response, 500, "INTERNAL_ERROR");
    expect(error.message).toContain("UPSTREAM_URL");
  });

  it("hides configuration details outside development", async () => {
    const response = await gatewayWith({ ENVIRONMENT: "production" }, "/v1/domains");
    const error = await expectError(response, 500, "INTERNAL_ERROR");
    expect(error.message).toBe("The gateway is misconfigured");
  });
});
