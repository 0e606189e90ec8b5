import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, admin, createAccount, errorOf, gateway } from "../support/helpers";

const countRows = async (table: string) =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())?.n ?? 0;

describe("POST /admin/accounts", () => {
  it("creates an account and answers 201 with {id, name, rateLimit, sharedRateLimit, quota, maxKeys, disabled, createdAt}", async () => {
    const response = await admin("POST", "/accounts", {
      name: "Acme Mail",
      rateLimit: { limit: 500, windowSeconds: 60 },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(response.headers.get("x-request-id")).toBeTruthy();
    const body = (await response.json()) as { success: boolean; data: Record<string, unknown> };
    expect(body.success).toBe(true);
    expect(body.data).toEqual({
      id: expect.stringMatching(/^acct_[A-Za-z0-9]{20}$/),
      name: "Acme Mail",
      rateLimit: { limit: 500, windowSeconds: 60 },
      sharedRateLimit: null,
      quota: null,
      maxKeys: 100,
      disabled: false,
      createdAt: expect.any(String),
    });
    expect(new Date(body.data.createdAt as string).toISOString()).toBe(body.data.createdAt);
  });

  it("defaults rateLimit to null (the gateway default applies)", async () => {
    const account = await createAccount({ name: "No limit" });
    expect(account.rateLimit).toBeNull();
  });

  it.each([
    ["a missing name", {}, "name: is required"],
    ["an empty name", { name: "   " }, "name: is required"],
    ["an overlong name", { name: "x".repeat(101) }, "name: must be at most 100 characters"],
    ["a non-string name", { name: 42 }, "name:"],
    ["a zero limit", { name: "A", rateLimit: { limit: 0, windowSeconds: 60 } }, "rateLimit.limit:"],
    ["a fractional window", { name: "A", rateLimit: { limit: 5, windowSeconds: 1.5 } }, "rateLimit.windowSeconds:"],
    ["an unknown field", { name: "A", plan: "gold" }, "plan: is not a known field"],
    ["a JSON array", [], "body:"],
  ])("refuses %s with 400 BAD_REQUEST naming the field, and writes nothing", async (_, body, message) => {
    const before = await countRows("accounts");
    const response = await admin("POST", "/accounts", body);
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(message);
    expect(await countRows("accounts")).toBe(before);
  });

  it("refuses malformed JSON with 400 BAD_REQUEST", async () => {
    const response = await admin("POST", "/accounts", undefined);
    expect(response.status).toBe(400);
    const malformed = await fetchRaw("/admin/accounts", "POST", '{"name": "x",', "application/json");
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).code).toBe("BAD_REQUEST");
  });

  it("refuses a body that is not JSON with 400 BAD_REQUEST", async () => {
    const response = await fetchRaw("/admin/accounts", "POST", "name=x", "application/x-www-form-urlencoded");
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe("BAD_REQUEST");
  });
});

describe("PATCH /admin/accounts/{accountId}", () => {
  it("renames, re-limits and disables an account", async () => {
    const account = await createAccount({ name: "Before" });
    const response = await admin("PATCH", `/accounts/${account.id}`, {
      name: "After",
      rateLimit: { limit: 10, windowSeconds: 1 },
      disabled: true,
    });
    expect(response.status).toBe(200);
    const { data } = (await response.json()) as { data: Record<string, unknown> };
    expect(data).toMatchObject({
      id: account.id,
      name: "After",
      rateLimit: { limit: 10, windowSeconds: 1 },
      disabled: true,
    });
  });

  it("clears the account limit with rateLimit: null", async () => {
    const account = await createAccount({ rateLimit: { limit: 10, windowSeconds: 1 } });
    const response = await admin("PATCH", `/accounts/${account.id}`, { rateLimit: null });
    const { data } = (await response.json()) as { data: { rateLimit: unknown } };
    expect(data.rateLimit).toBeNull();
  });

  it("answers 404 NOT_FOUND for an unknown account", async () => {
    const response = await admin("PATCH", "/accounts/acct_doesnotexist000000000", { disabled: true });
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe("NOT_FOUND");
  });

  it("refuses a non-boolean disabled flag with 400 naming the field", async () => {
    const account = await createAccount();
    const response = await admin("PATCH", `/accounts/${account.id}`, { disabled: "yes" });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toContain("disabled:");
  });
});

function fetchRaw(path: string, method: string, body: string, contentType: string) {
  return gateway(path, {
    method,
    body,
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": contentType },
  });
}
