/**
 * The pages behind the login: without a live session (none, forged,
 * expired) every page and form answers 303 to the login page and changes
 * nothing; logging out (a POST with the session's form token) deletes the
 * session and its cookie, so the old cookie opens nothing.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Browser, DASHBOARD_BASE, routes, signedIn } from "../../support/dashboard";
import { createKey } from "../../support/helpers";

const UNKNOWN_KEY = "key_AAAAAAAAAAAAAAAAAAAA";

const expectLoginRedirect = (response: Response) => {
  expect(response.status).toBe(303);
  expect(response.headers.get("location")).toBe(routes.login.href());
};

describe("pages behind the login", () => {
  it.each([
    routes.settings.href(),
    routes.apiKeys.href(),
    routes.newKey.href(),
    routes.deleteKey.href({ keyId: UNKNOWN_KEY }),
  ])("GET %s redirects (303) to the login page without a session", async (path) => {
    expectLoginRedirect(await new Browser().get(path));
  });

  it.each([routes.apiKeys.href(), routes.deleteKey.href({ keyId: UNKNOWN_KEY }), routes.logout.href()])(
    "POST %s redirects (303) to the login page without a session, and changes nothing",
    async (path) => {
      const before = await env.DB.prepare("SELECT count(*) AS n FROM api_keys").first<{ n: number }>();
      expectLoginRedirect(await new Browser().post(path, { _csrf: "x", name: "Sneaky" }));
      const after = await env.DB.prepare("SELECT count(*) AS n FROM api_keys").first<{ n: number }>();
      expect(after?.n).toBe(before?.n);
    },
  );

  it("treats a forged session cookie as no session, and clears it", async () => {
    const browser = new Browser();
    browser.cookies.set("momail_session", { value: "A".repeat(43), path: DASHBOARD_BASE });
    expectLoginRedirect(await browser.get(routes.apiKeys.href()));
    expect(browser.cookies.has("momail_session")).toBe(false);
  });

  it("ends a session when it expires", async () => {
    const { account, browser } = await signedIn();
    await env.DB.prepare("UPDATE sessions SET expires_at = ? WHERE account_id = ?")
      .bind(Date.now() - 1, account.id)
      .run();
    expectLoginRedirect(await browser.get(routes.apiKeys.href()));
  });
});

describe("logging out", () => {
  it("deletes the session and its cookie; the old cookie no longer opens any page", async () => {
    const { account, browser } = await signedIn();
    await createKey(account.id, { name: "Still here" });
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toMatch(/<button type="submit" class="btn btn-secondary">Log out<\/button>/);
    const stolen = browser.cookies.get("momail_session")?.value as string;

    const response = await browser.post(routes.logout.href());
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(routes.login.href({ logged_out: true }));
    expect(browser.cookies.has("momail_session")).toBe(false);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE account_id = ?")
      .bind(account.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(0);

    const replay = new Browser();
    replay.cookies.set("momail_session", { value: stolen, path: DASHBOARD_BASE });
    expectLoginRedirect(await replay.get(routes.apiKeys.href()));
    await browser.get(routes.login.href({ logged_out: true }));
    expect(browser.html).toContain("You have been logged out.");
  });

  it("needs the session's form token (403 without it), so another site cannot log a user out", async () => {
    const { browser } = await signedIn();
    const response = await browser.post(routes.logout.href(), { _csrf: "forged" });
    expect(response.status).toBe(403);
    expect((await browser.get(routes.apiKeys.href())).status).toBe(200);
  });
});
