/**
 * An account's maximum of live keys on the dashboard: at the cap, Create
 * New Key shows the 409's message and creates nothing, and the list and the
 * form say so beforehand. Expired and deleted keys do not count.
 */
import { describe, expect, it } from "vitest";
import { liveKeyRows, routes, signedIn } from "../../support/dashboard";
import { admin, createKey } from "../../support/helpers";

describe("the account's maximum of keys", () => {
  it("shows the 409's message on Create New Key at the cap, keeps what was typed, and creates nothing", async () => {
    const { account, browser } = await signedIn({ maxKeys: 2 });
    await createKey(account.id, { name: "One" });
    await createKey(account.id, { name: "Two" });
    await browser.get(routes.newKey.href());
    const response = await browser.post(routes.apiKeys.href(), { name: "Three", permissions: "read" });
    expect(response.status).toBe(409);
    expect(browser.html).toContain(
      '<div class="alert alert-error" role="alert">This account already has 2 keys, its limit: delete a key you no longer use, or ask MoMail to raise the limit</div>',
    );
    expect(browser.html).toMatch(/<input id="name" name="name"[^>]*value="Three"/);
    expect(browser.html).toMatch(/id="permissions-read" name="permissions" value="read" checked=""/);
    expect(await liveKeyRows(account.id)).toHaveLength(2);
  });

  it("says so on the list and on the form before anything is sent", async () => {
    const { account, browser } = await signedIn({ maxKeys: 1 });
    await browser.get(routes.apiKeys.href());
    expect(browser.html).not.toContain("its limit of");
    await createKey(account.id, { name: "Only" });
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toContain("This account has 1 key, its limit of 1: delete a key you no longer use");
    expect(browser.html).toContain("<dt>Keys</dt><dd>1 of 1</dd>");
    await browser.get(routes.newKey.href());
    expect(browser.html).toContain("its limit of 1");
  });

  it("lets a key be created again once one is deleted", async () => {
    const { account, browser } = await signedIn({ maxKeys: 1 });
    const only = await createKey(account.id, { name: "Only" });
    await admin("DELETE", `/accounts/${account.id}/keys/${only.id}`);
    await browser.get(routes.newKey.href());
    expect(browser.html).not.toContain("its limit of");
    expect((await browser.post(routes.apiKeys.href(), { name: "Next" })).status).toBe(303);
  });
});
