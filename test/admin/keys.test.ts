import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseKey } from "../../src/keys/format";
import { admin, call, createAccount, createKey, dataOf, errorOf } from "../support/helpers";

const keyRow = (id: string) =>
  env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(id).first<Record<string, unknown>>();
const countKeys = async (accountId: string) =>
  (
    await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE account_id = ?")
      .bind(accountId)
      .first<{ n: number }>()
  )?.n ?? 0;
const inOneHour = () => new Date(Date.now() + 3_600_000).toISOString();

describe("POST /admin/accounts/{accountId}/keys", () => {
  it("answers 201 with the full key, once, in the contract's shape", async () => {
    const account = await createAccount();
    const expiresAt = inOneHour();
    const response = await admin("POST", `/accounts/${account.id}/keys`, {
      name: "Production server",
      expiresAt,
      scopes: ["domains:read", "messages:write"],
      rateLimit: { limit: 50, windowSeconds: 10 },
    });
    expect(response.status).toBe(201);
    const { success, data } = (await response.json()) as { success: boolean; data: Record<string, unknown> };
    expect(success).toBe(true);
    expect(data).toEqual({
      id: expect.stringMatching(/^key_[A-Za-z0-9]{20}$/),
      name: "Production server",
      prefix: expect.stringMatching(/^[a-z0-9]{8}$/),
      key: expect.stringMatching(/^mk_[a-z0-9]{8}_[A-Za-z0-9]{24}$/),
      scopes: ["domains:read", "messages:write"],
      rateLimit: { limit: 50, windowSeconds: 10 },
      mode: "live",
      allowedIps: null,
      allowedSenderDomains: null,
      createdAt: expect.any(String),
      expiresAt,
    });
    expect(parseKey(data.key as string)?.prefix).toBe(data.prefix);
  });

  it("defaults to scopes ['*'], no own rate limit and no expiry", async () => {
    const account = await createAccount();
    const key = await createKey(account.id, { name: "Defaults" });
    expect(key).toMatchObject({ scopes: ["*"], rateLimit: null, expiresAt: null });
  });

  it("stores only an HMAC of the secret, with its pepper version", async () => {
    const account = await createAccount();
    const key = await createKey(account.id);
    const row = await keyRow(key.id);
    const secret = key.key.slice(12);
    expect(row?.secret_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.pepper_version).toBe(1);
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(JSON.stringify(row)).not.toContain(key.key);
  });

  it("accepts a date-only expiresAt as midnight UTC", async () => {
    const account = await createAccount();
    const key = await createKey(account.id, { expiresAt: "2099-12-31" });
    expect(key.expiresAt).toBe("2099-12-31T00:00:00.000Z");
  });

  it.each([
    ["a missing name", { expiresAt: null }, "name: is required"],
    ["an overlong name", { name: "k".repeat(101) }, "name: must be at most 100 characters"],
    [
      "an unparseable expiresAt",
      { name: "k", expiresAt: "next tuesday" },
      "expiresAt: must be an ISO-8601 date or date-time",
    ],
    ["a past expiresAt", { name: "k", expiresAt: "2001-01-01T00:00:00Z" }, "expiresAt: must be in the future"],
    ["a numeric expiresAt", { name: "k", expiresAt: 1893456000000 }, "expiresAt:"],
    ["a malformed scope", { name: "k", scopes: ["domains:delete"] }, "scopes[0]:"],
    ["an empty scope list", { name: "k", scopes: [] }, "scopes: must list at least one scope"],
    ["a repeated scope", { name: "k", scopes: ["a:read", "a:read"] }, "scopes: must not repeat a scope"],
    ["a bad rate limit", { name: "k", rateLimit: { limit: -1, windowSeconds: 60 } }, "rateLimit.limit:"],
    ["an unknown field", { name: "k", secret: "mine" }, "secret: is not a known field"],
  ])("refuses %s with 400 naming the field, and writes nothing", async (_, body, message) => {
    const account = await createAccount();
    const response = await admin("POST", `/accounts/${account.id}/keys`, body);
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(message);
    expect(await countKeys(account.id)).toBe(0);
  });

  it("answers 404 for an unknown account and writes nothing", async () => {
    const before = (await env.DB.prepare("SELECT count(*) AS n FROM api_keys").first<{ n: number }>())?.n;
    const response = await admin("POST", "/accounts/acct_unknown/keys", { name: "k" });
    expect(response.status).toBe(404);
    expect(await errorOf(response)).toEqual({ code: "NOT_FOUND", message: "Account not found" });
    expect((await env.DB.prepare("SELECT count(*) AS n FROM api_keys").first<{ n: number }>())?.n).toBe(before);
  });
});

describe("GET /admin/accounts/{accountId}/keys", () => {
  it("lists the account's live keys without any secret or hash, newest first", async () => {
    const account = await createAccount();
    const first = await createKey(account.id, { name: "first" });
    const second = await createKey(account.id, { name: "second", scopes: ["domains:read"] });
    const other = await createKey((await createAccount()).id, { name: "other account" });
    const response = await admin("GET", `/accounts/${account.id}/keys`);
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const key of [first, second, other]) expect(text).not.toContain(key.key.slice(12));
    expect(text).not.toMatch(/secret|hash|pepper/i);
    const { data } = JSON.parse(text) as { data: Array<Record<string, unknown>> };
    expect(data.map((k) => k.id).sort()).toEqual([first.id, second.id].sort());
    expect(Object.keys(data[0] ?? {}).sort()).toEqual(
      [
        "allowedIps",
        "allowedSenderDomains",
        "createdAt",
        "expiresAt",
        "id",
        "lastUsedAt",
        "leakedAt",
        "mode",
        "name",
        "prefix",
        "rateLimit",
        "scopes",
      ].sort(),
    );
    expect(data.find((k) => k.id === second.id)).toMatchObject({
      name: "second",
      prefix: second.prefix,
      scopes: ["domains:read"],
      lastUsedAt: null,
      leakedAt: null,
    });
  });

  it("does not list revoked keys", async () => {
    const account = await createAccount();
    const kept = await createKey(account.id);
    const revoked = await createKey(account.id);
    await admin("DELETE", `/accounts/${account.id}/keys/${revoked.id}`);
    const { data } = (await (await admin("GET", `/accounts/${account.id}/keys`)).json()) as {
      data: Array<{ id: string }>;
    };
    expect(data.map((k) => k.id)).toEqual([kept.id]);
  });

  it("answers 404 for an unknown account", async () => {
    expect((await admin("GET", "/accounts/acct_missing/keys")).status).toBe(404);
  });
});

describe("PATCH /admin/accounts/{accountId}/keys/{keyId}", () => {
  it("updates name, scopes, rate limit and expiry, and answers the key without its secret", async () => {
    const account = await createAccount();
    const key = await createKey(account.id);
    const expiresAt = inOneHour();
    const response = await admin("PATCH", `/accounts/${account.id}/keys/${key.id}`, {
      name: "Renamed",
      scopes: ["domains:write"],
      rateLimit: { limit: 7, windowSeconds: 30 },
      expiresAt,
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain(key.key.slice(12));
    expect(JSON.parse(text).data).toMatchObject({
      id: key.id,
      name: "Renamed",
      scopes: ["domains:write"],
      rateLimit: { limit: 7, windowSeconds: 30 },
      expiresAt,
    });
  });

  it("clears an expiry and a rate limit with null", async () => {
    const account = await createAccount();
    const key = await createKey(account.id, { expiresAt: inOneHour(), rateLimit: { limit: 1, windowSeconds: 1 } });
    const response = await admin("PATCH", `/accounts/${account.id}/keys/${key.id}`, {
      expiresAt: null,
      rateLimit: null,
    });
    expect(await dataOf(response)).toMatchObject({ expiresAt: null, rateLimit: null });
  });

  it("refuses a past expiry with 400 and leaves the key unchanged", async () => {
    const account = await createAccount();
    const key = await createKey(account.id, { name: "unchanged" });
    const response = await admin("PATCH", `/accounts/${account.id}/keys/${key.id}`, {
      name: "changed",
      expiresAt: "2000-01-01",
    });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toContain("expiresAt: must be in the future");
    expect((await keyRow(key.id))?.name).toBe("unchanged");
  });

  it("answers 404 for another account's key, an unknown key and a revoked key", async () => {
    const account = await createAccount();
    const key = await createKey(account.id);
    const stranger = await createAccount();
    expect((await admin("PATCH", `/accounts/${stranger.id}/keys/${key.id}`, { name: "x" })).status).toBe(404);
    expect((await admin("PATCH", `/accounts/${account.id}/keys/key_unknown`, { name: "x" })).status).toBe(404);
    await admin("DELETE", `/accounts/${account.id}/keys/${key.id}`);
    expect((await admin("PATCH", `/accounts/${account.id}/keys/${key.id}`, { name: "x" })).status).toBe(404);
  });
});

describe("DELETE /admin/accounts/{accountId}/keys/{keyId}", () => {
  it("revokes the key: 200, revoked_at set, and the key refused", async () => {
    const account = await createAccount();
    const key = await createKey(account.id);
    const response = await admin("DELETE", `/accounts/${account.id}/keys/${key.id}`);
    expect(response.status).toBe(200);
    expect(await dataOf(response)).toEqual({ id: key.id, revokedAt: expect.any(String) });
    expect((await keyRow(key.id))?.revoked_at).toEqual(expect.any(Number));
    expect((await call(key.key)).status).toBe(401);
  });

  it("is idempotent: revoking again answers 200 with the original time", async () => {
    const account = await createAccount();
    const key = await createKey(account.id);
    const first = await dataOf(await admin("DELETE", `/accounts/${account.id}/keys/${key.id}`));
    const again = await admin("DELETE", `/accounts/${account.id}/keys/${key.id}`);
    expect(again.status).toBe(200);
    expect(await dataOf(again)).toEqual(first);
  });

  it("answers 404 for an unknown key or another account's key", async () => {
    const account = await createAccount();
    const key = await createKey(account.id);
    const stranger = await createAccount();
    expect((await admin("DELETE", `/accounts/${account.id}/keys/key_unknown`)).status).toBe(404);
    expect((await admin("DELETE", `/accounts/${stranger.id}/keys/${key.id}`)).status).toBe(404);
    expect((await call(key.key)).status).toBe(200);
  });
});

describe("POST /admin/accounts/{accountId}/keys/{keyId}/rotate", () => {
  it("answers 201 with a new key that keeps the old one's name, scopes, limit and expiry", async () => {
    const account = await createAccount();
    const expiresAt = inOneHour();
    const old = await createKey(account.id, {
      name: "Rotating",
      scopes: ["domains:read"],
      rateLimit: { limit: 9, windowSeconds: 9 },
      expiresAt,
    });
    const response = await admin("POST", `/accounts/${account.id}/keys/${old.id}/rotate`, { gracePeriodSeconds: 3600 });
    expect(response.status).toBe(201);
    const { data } = (await response.json()) as { data: Record<string, unknown> };
    expect(data).toMatchObject({
      name: "Rotating",
      scopes: ["domains:read"],
      rateLimit: { limit: 9, windowSeconds: 9 },
      expiresAt,
    });
    expect(data.id).not.toBe(old.id);
    expect(data.key).not.toBe(old.key);
    expect(data.key).toMatch(/^mk_[a-z0-9]{8}_[A-Za-z0-9]{24}$/);
  });

  it("without a grace period expires the old key at once", async () => {
    const account = await createAccount();
    const old = await createKey(account.id);
    const rotated = await admin("POST", `/accounts/${account.id}/keys/${old.id}/rotate`);
    expect(rotated.status).toBe(201);
    const fresh = (await dataOf(rotated)) as { key: string };
    expect((await call(old.key)).status).toBe(401);
    expect((await call(fresh.key)).status).toBe(200);
  });

  it.each([
    ["a negative grace period", { gracePeriodSeconds: -1 }],
    ["a fractional grace period", { gracePeriodSeconds: 1.5 }],
    ["a grace period over 30 days", { gracePeriodSeconds: 31 * 86_400 }],
  ])("refuses %s with 400 naming the field, and writes nothing", async (_, body) => {
    const account = await createAccount();
    const old = await createKey(account.id);
    const response = await admin("POST", `/accounts/${account.id}/keys/${old.id}/rotate`, body);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toContain("gracePeriodSeconds:");
    expect(await countKeys(account.id)).toBe(1);
    expect((await keyRow(old.id))?.expires_at).toBeNull();
  });

  it("answers 404 for a revoked or unknown key", async () => {
    const account = await createAccount();
    const old = await createKey(account.id);
    await admin("DELETE", `/accounts/${account.id}/keys/${old.id}`);
    expect((await admin("POST", `/accounts/${account.id}/keys/${old.id}/rotate`, {})).status).toBe(404);
    expect((await admin("POST", `/accounts/${account.id}/keys/key_nope/rotate`, {})).status).toBe(404);
  });
});
