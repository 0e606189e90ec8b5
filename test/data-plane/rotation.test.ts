/**
 * Rotation never multiplies what an account may do (CONTRACT §4): a key in
 * its grace period counts toward `maxKeys`, so a rotation with a grace
 * period needs room for one more key (without one it always succeeds), and
 * while both live the old and the new key share one `key` budget, the new
 * key starting with the old one's window.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, call, createAccount, createKey, dataOf, errorOf, type KeyData } from "../support/helpers";

const rotate = (accountId: string, keyId: string, gracePeriodSeconds: number) =>
  admin("POST", `/accounts/${accountId}/keys/${keyId}/rotate`, { gracePeriodSeconds });
const rowsOf = async (accountId: string) =>
  (await env.DB.prepare("SELECT * FROM api_keys WHERE account_id = ? ORDER BY id").bind(accountId).all()).results;
const auditCount = async (accountId: string) =>
  (
    await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE account_id = ?")
      .bind(accountId)
      .first<{ n: number }>()
  )?.n ?? 0;

describe("rotation", () => {
  it("with a grace period at the key cap is a 409 that changes nothing: no successor, no new expiry, no audit entry", async () => {
    const account = await createAccount({ maxKeys: 1 });
    const key = await createKey(account.id, { rateLimit: { limit: 3, windowSeconds: 60 } });
    const before = { rows: await rowsOf(account.id), audit: await auditCount(account.id) };
    const response = await rotate(account.id, key.id, 3600);
    expect(response.status).toBe(409);
    expect(await errorOf(response)).toEqual({
      code: "CONFLICT",
      message:
        "This account already has 1 keys, its limit, and a rotation with a grace period keeps the old key live beside the new one: rotate without a grace period, or delete a key you no longer use",
    });
    expect(await rowsOf(account.id)).toEqual(before.rows);
    expect(await auditCount(account.id)).toBe(before.audit);
    expect((await call(key.key)).status).toBe(200);
  });

  it("without a grace period always succeeds at the cap: the old key expires at once", async () => {
    const account = await createAccount({ maxKeys: 1 });
    const key = await createKey(account.id);
    const successor = await dataOf<KeyData>(await rotate(account.id, key.id, 0));
    expect((await call(key.key)).status).toBe(401);
    expect((await call(successor.key)).status).toBe(200);
    // And the successor can itself be rotated, again without a grace period.
    const third = await dataOf<KeyData>(await rotate(account.id, successor.id, 0));
    expect((await call(third.key)).status).toBe(200);
  });

  it("cannot turn one key limited to 3 a minute into more: five rotations with grace let 3 requests through in all", async () => {
    const account = await createAccount({ maxKeys: 10 });
    let current = await createKey(account.id, { rateLimit: { limit: 3, windowSeconds: 60 } });
    const keys = [current];
    for (let i = 0; i < 5; i++) {
      current = await dataOf<KeyData>(await rotate(account.id, current.id, 3600));
      keys.push(current);
    }
    const statuses = [];
    for (const key of keys) for (let i = 0; i < 3; i++) statuses.push((await call(key.key)).status);
    expect(statuses.filter((status) => status === 200)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(15);
  });

  it("starts the new key with the old one's window: what the old key used counts against the new one", async () => {
    const account = await createAccount();
    const old = await createKey(account.id, { rateLimit: { limit: 3, windowSeconds: 60 } });
    for (let i = 0; i < 2; i++) expect((await call(old.key)).status).toBe(200);
    const successor = await dataOf<KeyData>(await rotate(account.id, old.id, 3600));
    const first = await call(successor.key);
    expect(first.status).toBe(200);
    expect(first.headers.get("x-ratelimit-remaining")).toBe("0");
    const refused = await call(successor.key);
    expect(refused.status).toBe(429);
    expect((await errorOf(refused)).code).toBe("RATE_LIMITED");
    expect((await call(old.key)).status).toBe(429);
  });
});
