/**
 * Renaming a key from the list: an inline form (in a <details>, so no
 * script is needed) with the same rules and words as Create New Key; the
 * key keeps working. Another account's key is a 404, and nothing changes.
 */
import { describe, expect, it } from "vitest";
import { liveKeyRows, routes, signedIn } from "../../support/dashboard";
import { call, createKey } from "../../support/helpers";

describe("renaming a key", () => {
  it("has a labelled inline form on each row of the list", async () => {
    const { account, browser } = await signedIn();
    const key = await createKey(account.id, { name: "Old name" });
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toContain(`<form method="post" action="${routes.renameKey.href({ keyId: key.id })}"`);
    expect(browser.html).toContain(`<label for="rename-${key.id}">New name</label>`);
    expect(browser.html).toMatch(
      new RegExp(`<input id="rename-${key.id}" name="name" type="text" required="" maxlength="100" value="Old name"`),
    );
  });

  it("renames the key, trimmed, and says so on the list; the key keeps working", async () => {
    const { account, browser } = await signedIn();
    const key = await createKey(account.id, { name: "Old name" });
    await browser.get(routes.apiKeys.href());
    const response = await browser.post(routes.renameKey.href({ keyId: key.id }), { name: "  New name " });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(routes.apiKeys.href({ renamed: key.prefix }));
    await browser.follow(response);
    expect(browser.html).toContain(`The key <code>${key.prefix}</code> was renamed.`);
    expect(browser.html).toContain("New name");
    expect((await liveKeyRows(account.id))[0]?.name).toBe("New name");
    expect((await call(key.key)).status).toBe(200);
  });

  it.each([
    ["a blank name", "   ", "Enter a name for the key."],
    ["an overlong name", "y".repeat(101), "Use at most 100 characters for the name."],
  ])("refuses %s with 400 and the creation form's message, and changes nothing", async (_, name, message) => {
    const { account, browser } = await signedIn();
    const key = await createKey(account.id, { name: "Kept" });
    await browser.get(routes.apiKeys.href());
    const response = await browser.post(routes.renameKey.href({ keyId: key.id }), { name });
    expect(response.status).toBe(400);
    expect(browser.html).toContain(`<p class="field-error" id="name-error">${message}</p>`);
    expect(browser.html).toMatch(/id="name"[^>]*aria-invalid="true"[^>]*aria-describedby="name-error name-hint"/);
    expect((await liveKeyRows(account.id))[0]?.name).toBe("Kept");
  });

  it("has a page of its own, for browsers without <details>", async () => {
    const { account, browser } = await signedIn();
    const key = await createKey(account.id, { name: "Paged" });
    expect((await browser.get(routes.renameKey.href({ keyId: key.id }))).status).toBe(200);
    expect(browser.html).toContain("Rename API key");
    expect(browser.html).toMatch(/<input id="name" name="name"[^>]*value="Paged"/);
  });

  it("answers 404 for another account's key, and renames nothing", async () => {
    const a = await signedIn();
    const b = await signedIn();
    const theirs = await createKey(b.account.id, { name: "B's key" });
    expect((await a.browser.get(routes.renameKey.href({ keyId: theirs.id }))).status).toBe(404);
    await a.browser.get(routes.apiKeys.href());
    const response = await a.browser.post(routes.renameKey.href({ keyId: theirs.id }), { name: "Mine now" });
    expect(response.status).toBe(404);
    expect(a.browser.html).toContain("Page not found");
    expect((await liveKeyRows(b.account.id))[0]?.name).toBe("B's key");
  });

  it("refuses a rename without the session's form token", async () => {
    const { account, browser } = await signedIn();
    const key = await createKey(account.id, { name: "Guarded" });
    await browser.get(routes.apiKeys.href());
    const response = await browser.post(routes.renameKey.href({ keyId: key.id }), { name: "x", _csrf: "no" });
    expect(response.status).toBe(403);
    expect((await liveKeyRows(account.id))[0]?.name).toBe("Guarded");
  });
});
