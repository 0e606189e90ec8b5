/**
 * Deleting a key: a confirmation page first (nothing changes until it is
 * confirmed), then the key gets 401 at once and leaves the list; another
 * account's key, or an id that cannot be one, is a 404 page.
 */
import { describe, expect, it } from "vitest";
import { routes, signedIn } from "../../support/dashboard";
import { call, createKey } from "../../support/helpers";

describe("deleting a key", () => {
  it("asks for confirmation first, and changes nothing until confirmed", async () => {
    const { account, browser } = await signedIn();
    const key = await createKey(account.id, { name: "Staging" });
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toContain(`<form method="get" action="${routes.deleteKey.href({ keyId: key.id })}">`);

    const confirm = await browser.get(routes.deleteKey.href({ keyId: key.id }));
    expect(confirm.status).toBe(200);
    expect(browser.html).toContain("Delete API key?");
    expect(browser.html).toContain("Staging");
    expect(browser.html).toContain(key.prefix);
    expect(browser.html).toContain("cannot be restored");
    expect(browser.html).toMatch(/<button type="submit" class="btn btn-danger">Yes, delete<\/button>/);
    expect(browser.html).toContain(
      `<form class="card-body" method="post" action="${routes.deleteKey.href({ keyId: key.id })}">`,
    );
    expect((await call(key.key)).status).toBe(200);
  });

  it("revokes the key once confirmed: it gets 401 at once, and leaves the list", async () => {
    const { account, browser } = await signedIn();
    const key = await createKey(account.id, { name: "Staging" });
    const kept = await createKey(account.id, { name: "Production" });
    expect((await call(key.key)).status).toBe(200);

    await browser.get(routes.deleteKey.href({ keyId: key.id }));
    const response = await browser.post(routes.deleteKey.href({ keyId: key.id }));
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(routes.apiKeys.href({ deleted: key.prefix }));
    expect((await call(key.key)).status).toBe(401);
    expect((await call(kept.key)).status).toBe(200);

    await browser.get(response.headers.get("location") as string);
    expect(browser.html).toContain(`The key <code>${key.prefix}</code> was deleted. It no longer works.`);
    expect(browser.html).not.toContain(">Staging<");
    expect(browser.html).toContain(">Production<");

    // Confirming again (a double submit) finds no live key.
    expect((await browser.post(routes.deleteKey.href({ keyId: key.id }))).status).toBe(404);
  });

  it("answers 404 for another account's key, on the confirmation page and the deletion; the key keeps working", async () => {
    const a = await signedIn();
    const b = await signedIn();
    const theirs = await createKey(b.account.id, { name: "B only" });
    const confirm = await a.browser.get(routes.deleteKey.href({ keyId: theirs.id }));
    expect(confirm.status).toBe(404);
    expect(confirm.headers.get("content-type")).toMatch(/^text\/html/);
    expect(a.browser.html).not.toContain("B only");

    await a.browser.get(routes.apiKeys.href());
    const attempt = await a.browser.post(routes.deleteKey.href({ keyId: theirs.id }));
    expect(attempt.status).toBe(404);
    expect((await call(theirs.key)).status).toBe(200);
  });

  it.each(["key_AAAAAAAAAAAAAAAAAAAA", "not-a-key-id", "key_%27%3B--"])("answers 404 for the key id %s", async (id) => {
    const { browser } = await signedIn();
    expect((await browser.get(routes.deleteKey.href({ keyId: id }))).status).toBe(404);
    expect(browser.html).toContain("Page not found");
  });
});
