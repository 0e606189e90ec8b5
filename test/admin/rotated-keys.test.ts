/**
 * A rotated-out key's expiry is final (CONTRACT §4): the old key works for
 * its grace period and then expires for good. Rotating it again, or PATCHing
 * its expiresAt, is a 409 that writes nothing and tells the key's Durable
 * Object nothing; its other fields and its revocation still work.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, call, createAccount, createKey, dataOf, errorOf, type KeyData } from "../support/helpers";

const keyRow = (id: string) =>
  env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(id).first<Record<string, unknown>>();
const countKeys = async (accountId: string) =>
  (
    await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE account_id = ?")
      .bind(accountId)
      .first<{ n: number }>()
  )?.n ?? 0;
const inOneDay = () => new Date(Date.now() + 86_400_000).toISOString();

/** A key rotated out with `gracePeriodSeconds`, and its successor. */
async function rotatedOut(gracePeriodSeconds: number) {
  const account = await createAccount();
  const old = await createKey(account.id, { name: "Old" });
  const response = await admin("POST", `/accounts/${account.id}/keys/${old.id}/rotate`, { gracePeriodSeconds });
  const successor = await dataOf<KeyData>(response);
  return { account, old, successor, path: `/accounts/${account.id}/keys/${old.id}` };
}

async function expectRotatedOutConflict(response: Response, what: RegExp) {
  expect(response.status).toBe(409);
  const error = await errorOf(response);
  expect(error.code).toBe("CONFLICT");
  expect(error.message).toMatch(/^This key was rotated out and expire[sd] at \d{4}-\d\d-\d\dT[\d:.]+Z; /);
  expect(error.message).toMatch(what);
}

describe("a key rotated out", () => {
  it("cannot be revived by a PATCH of its expiresAt once its grace period is over: 409, and it stays refused", async () => {
    const { old, path } = await rotatedOut(0);
    expect((await call(old.key)).status).toBe(401);
    const before = await keyRow(old.id);

    for (const expiresAt of [inOneDay(), null]) {
      const response = await admin("PATCH", path, { expiresAt });
      await expectRotatedOutConflict(response, /its expiry cannot be changed$/);
    }
    expect(await keyRow(old.id)).toEqual(before);
    expect((await call(old.key)).status).toBe(401);
  });

  it("keeps its grace-period expiry when a PATCH tries to extend it, and changes none of the PATCH's other fields", async () => {
    const { old, path } = await rotatedOut(3600);
    const before = await keyRow(old.id);
    const response = await admin("PATCH", path, { name: "Renamed", expiresAt: inOneDay() });
    await expectRotatedOutConflict(response, /its expiry cannot be changed$/);
    expect(await keyRow(old.id)).toEqual(before);
    expect((await call(old.key)).status).toBe(200);
  });

  it("cannot be rotated again: 409, no second successor, and its grace period untouched at the edge", async () => {
    const { account, old, successor, path } = await rotatedOut(3600);
    const before = await keyRow(old.id);
    const response = await admin("POST", `${path}/rotate`, { gracePeriodSeconds: 0 });
    await expectRotatedOutConflict(response, /it cannot be rotated again$/);
    expect(await countKeys(account.id)).toBe(2);
    expect(await keyRow(old.id)).toEqual(before);
    // A rotation with no grace would have expired it at once, had its object been told.
    expect((await call(old.key)).status).toBe(200);
    expect((await call(successor.key)).status).toBe(200);
  });

  it("can still be renamed, re-scoped, re-limited and revoked", async () => {
    const { old, path } = await rotatedOut(3600);
    const patched = await admin("PATCH", path, {
      name: "Renamed",
      scopes: ["domains:read"],
      rateLimit: { limit: 5, windowSeconds: 60 },
    });
    expect(patched.status).toBe(200);
    expect(await dataOf(patched)).toMatchObject({
      name: "Renamed",
      scopes: ["domains:read"],
      rateLimit: { limit: 5, windowSeconds: 60 },
    });
    expect((await call(old.key, "/v1/domains")).status).toBe(200);
    expect((await call(old.key, "/v1/messages", { method: "POST" })).status).toBe(403);

    expect((await admin("DELETE", path)).status).toBe(200);
    expect((await call(old.key)).status).toBe(401);
  });

  it("leaves its successor free to be rotated and to have its expiry changed", async () => {
    const { account, successor } = await rotatedOut(0);
    const path = `/accounts/${account.id}/keys/${successor.id}`;
    expect((await admin("PATCH", path, { expiresAt: inOneDay() })).status).toBe(200);
    expect((await admin("POST", `${path}/rotate`, { gracePeriodSeconds: 60 })).status).toBe(201);
  });
});
