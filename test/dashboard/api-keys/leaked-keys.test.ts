/**
 * A key reported as leaked is marked on the dashboard until it is deleted
 * (CONTRACT §5, §7). With LEAKED_KEY_ACTION=revoke (the default) the report
 * revokes the key, and the list keeps it, marked "Leaked — revoked", with
 * nothing to do but delete it; deleting it then hides it for good, with one
 * audit entry. The admin API still lists no revoked key.
 */
import { describe, expect, it } from "vitest";
import { auditCount, auditLogOf } from "../../support/audit";
import { routes, signedIn } from "../../support/dashboard";
import { ADMIN_TOKEN, admin, call, createKey, dataOf, gatewayWith } from "../../support/helpers";

const listOf = (html: string) => html.slice(html.indexOf("<tbody>"), html.indexOf("</tbody>"));

/** Reports `key` as leaked through the admin API (LEAKED_KEY_ACTION as `bindings` say). */
async function report(key: string, bindings: Record<string, unknown> = {}) {
  const response = await gatewayWith(bindings, "/admin/leaked-keys", {
    method: "POST",
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
    body: JSON.stringify({ keys: [key], source: "test" }),
  });
  expect(response.status).toBe(200);
}

const adminKeyIds = async (accountId: string) =>
  (await dataOf<Array<{ id: string }>>(await admin("GET", `/accounts/${accountId}/keys`))).map((key) => key.id);

describe("a key revoked by its leak report", () => {
  it("stays listed, marked Leaked — revoked, without Roll or Rename, while it gets 401 and the admin API lists it not", async () => {
    const { account, browser } = await signedIn();
    const leaked = await createKey(account.id, { name: "Pasted in a gist" });
    const kept = await createKey(account.id, { name: "Production" });
    await report(leaked.key);
    expect((await call(leaked.key)).status).toBe(401);

    await browser.get(routes.apiKeys.href());
    const list = listOf(browser.html);
    expect(list).toContain("Pasted in a gist");
    expect(list.match(/Leaked — revoked/g)).toHaveLength(1);
    expect(list).not.toContain(`/api-keys/${leaked.id}/roll`);
    expect(list).not.toContain(`/api-keys/${leaked.id}/rename`);
    expect(list).toContain(`/api-keys/${leaked.id}/delete`);
    expect(list).toContain(`/api-keys/${kept.id}/roll`);
    // It no longer counts against the account's keys.
    expect(browser.html).toMatch(/<dt>Keys<\/dt><dd>1 of \d+<\/dd>/);
    expect(await adminKeyIds(account.id)).toEqual([kept.id]);
    // Neither can it be rolled or renamed by URL.
    expect((await browser.get(routes.rollKey.href({ keyId: leaked.id }))).status).toBe(404);
    expect((await browser.get(routes.renameKey.href({ keyId: leaked.id }))).status).toBe(404);
  });

  it("leaves the list for good once deleted, with one audit entry by the user", async () => {
    const { account, email, browser } = await signedIn();
    const leaked = await createKey(account.id, { name: "Pasted in a gist" });
    await report(leaked.key);
    const before = await auditCount(account.id);

    expect((await browser.get(routes.deleteKey.href({ keyId: leaked.id }))).status).toBe(200);
    expect(browser.html).toContain("revoked when its leak was reported");
    const response = await browser.post(routes.deleteKey.href({ keyId: leaked.id }));
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(routes.apiKeys.href({ deleted: leaked.prefix }));

    expect(await auditCount(account.id)).toBe(before + 1);
    const [entry] = await auditLogOf(account.id);
    expect(entry).toMatchObject({
      action: "key.revoked",
      actor: { type: "user", email },
      target: { type: "key", id: leaked.id },
      ip: browser.ip,
    });
    await browser.get(routes.apiKeys.href());
    expect(browser.html).not.toContain("Pasted in a gist");
    expect((await call(leaked.key)).status).toBe(401);

    // A second deletion (an old tab) finds nothing and records nothing.
    expect((await browser.post(routes.deleteKey.href({ keyId: leaked.id }))).status).toBe(404);
    expect(await auditCount(account.id)).toBe(before + 1);
  });

  it("leaves the list once deleted through the admin API too, with one audit entry by the admin", async () => {
    const { account, browser } = await signedIn();
    const leaked = await createKey(account.id, { name: "Pasted in a gist" });
    await report(leaked.key);
    const before = await auditCount(account.id);

    const deleted = await admin("DELETE", `/accounts/${account.id}/keys/${leaked.id}`);
    expect(deleted.status).toBe(200);
    expect(await auditCount(account.id)).toBe(before + 1);
    const [entry] = await auditLogOf(account.id);
    expect(entry).toMatchObject({ action: "key.revoked", actor: { type: "admin" }, target: { id: leaked.id } });
    await browser.get(routes.apiKeys.href());
    expect(browser.html).not.toContain("Pasted in a gist");
    expect((await call(leaked.key)).status).toBe(401);

    // Deleting it again answers the same and records nothing (idempotent).
    const again = await admin("DELETE", `/accounts/${account.id}/keys/${leaked.id}`);
    expect(again.status).toBe(200);
    expect(await dataOf(again)).toEqual(await dataOf(deleted));
    expect(await auditCount(account.id)).toBe(before + 1);
  });

  it("is not listed again when the key had been deleted before its leak was reported", async () => {
    const { account, browser } = await signedIn();
    const key = await createKey(account.id, { name: "Old laptop" });
    await browser.get(routes.deleteKey.href({ keyId: key.id }));
    await browser.post(routes.deleteKey.href({ keyId: key.id }));
    await report(key.key);
    await browser.get(routes.apiKeys.href());
    expect(browser.html).not.toContain("Old laptop");
  });
});

describe("a key only flagged as leaked (LEAKED_KEY_ACTION=notify)", () => {
  it("is marked Leaked and still works; once deleted it is refused and leaves the list", async () => {
    const notify = { LEAKED_KEY_ACTION: "notify" };
    const { account, browser } = await signedIn({}, notify);
    const key = await createKey(account.id, { name: "Flagged" });
    await report(key.key, notify);
    expect((await call(key.key)).status).toBe(200);

    await browser.get(routes.apiKeys.href());
    const list = listOf(browser.html);
    expect(list).toContain(">Leaked<");
    expect(list).not.toContain("Leaked — revoked");
    expect(list).toContain(`/api-keys/${key.id}/roll`);

    await browser.get(routes.deleteKey.href({ keyId: key.id }));
    expect((await browser.post(routes.deleteKey.href({ keyId: key.id }))).status).toBe(303);
    expect((await call(key.key)).status).toBe(401);
    await browser.get(routes.apiKeys.href());
    expect(browser.html).not.toContain("Flagged");
  });
});
