import { describe, expect, it } from "vitest";
import { admin, gateway, gatewayWith } from "./support/helpers";

const ENVELOPE_KEYS = ["error", "success"];

async function expectEnvelope(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.headers.get("x-request-id")).toMatch(/^[\w=-]+$/);
  const body = (await response.json()) as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(ENVELOPE_KEYS);
  expect(body.success).toBe(false);
  expect(Object.keys(body.error as object).sort()).toEqual(["code", "message"]);
  expect((body.error as { code: string }).code).toBe(code);
  return body.error as { code: string; message: string };
}

describe("the error envelope", () => {
  it("answers unknown routes with 404 NOT_FOUND", async () => {
    await expectEnvelope(await gateway("/nowhere"), 404, "NOT_FOUND");
    await expectEnvelope(await gateway("/"), 404, "NOT_FOUND");
  });

  it("answers a wrong method on an admin route with 405 METHOD_NOT_ALLOWED and Allow", async () => {
    const response = await admin("PUT", "/accounts");
    await expectEnvelope(response, 405, "METHOD_NOT_ALLOWED");
    expect(response.headers.get("allow")).toBe("POST");
    const keyRoute = await admin("PUT", "/accounts/acct_x/keys/key_y");
    await expectEnvelope(keyRoute, 405, "METHOD_NOT_ALLOWED");
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
    const error = await expectEnvelope(response, 500, "INTERNAL_ERROR");
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
    const error = await expectEnvelope(response, 500, "INTERNAL_ERROR");
    expect(error.message).toContain("UPSTREAM_URL");
  });

  it("hides configuration details outside development", async () => {
    const response = await gatewayWith({ ENVIRONMENT: "production" }, "/v1/domains");
    const error = await expectEnvelope(response, 500, "INTERNAL_ERROR");
    expect(error.message).toBe("The gateway is misconfigured");
  });
});
