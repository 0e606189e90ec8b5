/**
 * CSRF protection, both layers: a form posted from another site (a foreign
 * or missing Origin) is refused by Hono's csrf(); behind it, the login form
 * must echo its double-submit token and every signed-in form the session's
 * token, else a 403 page, and nothing is created or deleted.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { accountWithUser, Browser, csrfTokenOf, routes, signedIn } from "../../support/dashboard";
import { call, createKey } from "../../support/helpers";

const keyCount = async (accountId: string) =>
  (
    await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE account_id = ?")
      .bind(accountId)
      .first<{ n: number }>()
  )?.n;

const expectForbiddenPage = (response: Response, browser: Browser) => {
  expect(response.status).toBe(403);
  expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  expect(browser.html).toContain("This form could not be accepted");
};

describe("CSRF protection", () => {
  it("refuses a login form posted from another site (foreign Origin) or with no Origin at all", async () => {
    const { email, password } = await accountWithUser();
    for (const origin of ["https://evil.example", ""]) {
      const browser = new Browser();
      await browser.get(routes.login.href());
      const headers: Record<string, string> = origin ? { Origin: origin } : {};
      const response = await browser.fetch(routes.login.href(), {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
        body: new URLSearchParams({ _csrf: csrfTokenOf(browser.html) ?? "", email, password }).toString(),
      });
      expect(response.status).toBe(403);
      expect(browser.cookies.has("momail_session")).toBe(false);
    }
  });

  it("accepts a same-origin post that a browser marks with Sec-Fetch-Site instead of Origin", async () => {
    const { email, password } = await accountWithUser();
    const browser = new Browser();
    await browser.get(routes.login.href());
    const response = await browser.fetch(routes.login.href(), {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin" },
      body: new URLSearchParams({ _csrf: csrfTokenOf(browser.html) ?? "", email, password }).toString(),
    });
    expect(response.status).toBe(303);
  });

  it("refuses a login form without the token of its cookie (double submit)", async () => {
    const { email, password } = await accountWithUser();
    const browser = new Browser();
    await browser.get(routes.login.href());
    expectForbiddenPage(await browser.post(routes.login.href(), { email, password, _csrf: "A".repeat(43) }), browser);
    const cookieless = new Browser();
    await cookieless.get(routes.login.href());
    cookieless.cookies.clear();
    expectForbiddenPage(await cookieless.post(routes.login.href(), { email, password }), cookieless);
  });

  it("refuses to create a key from a foreign Origin, or without the session's token, and creates nothing", async () => {
    const { account, browser } = await signedIn();
    await browser.get(routes.newKey.href());
    const token = csrfTokenOf(browser.html) as string;
    expectForbiddenPage(
      await browser.post(routes.apiKeys.href(), { name: "Evil" }, { Origin: "https://evil.example" }),
      browser,
    );
    expectForbiddenPage(await browser.post(routes.apiKeys.href(), { name: "Evil", _csrf: "" }), browser);

    // Another user's token is no good either.
    const other = await signedIn();
    await other.browser.get(routes.newKey.href());
    const otherToken = csrfTokenOf(other.browser.html) as string;
    expect(otherToken).not.toBe(token);
    expectForbiddenPage(await browser.post(routes.apiKeys.href(), { name: "Evil", _csrf: otherToken }), browser);

    // A JSON body slips past the Origin check's content types, but not past the token.
    const json = await browser.fetch(routes.apiKeys.href(), {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: "https://evil.example" },
      body: JSON.stringify({ name: "Evil", _csrf: token }),
    });
    expect(json.status).toBe(403);
    expect(await keyCount(account.id)).toBe(0);
  });

  it("refuses to delete a key without the session's token; the key keeps working", async () => {
    const { account, browser } = await signedIn();
    const key = await createKey(account.id);
    await browser.get(routes.deleteKey.href({ keyId: key.id }));
    const response = await browser.post(routes.deleteKey.href({ keyId: key.id }), { _csrf: "nope" });
    expectForbiddenPage(response, browser);
    expect((await call(key.key)).status).toBe(200);
  });
});
