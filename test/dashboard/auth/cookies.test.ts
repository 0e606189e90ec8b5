/**
 * The dashboard's cookies and the one rule they share (auth/cookies.ts):
 * every cookie it sets or deletes (the session, the login form's
 * double-submit token, the trusted device) is HttpOnly, and Secure in
 * production; in development (the tests' ENVIRONMENT), where the dashboard
 * is served over http://localhost, none is Secure.
 */
import { describe, expect, it } from "vitest";
import { countingEnv } from "../../support/counting-env";
import { accountWithUser, Browser, routes } from "../../support/dashboard";

const PRODUCTION = {
  ENVIRONMENT: "production",
  KEY_PEPPER: "p".repeat(32),
  KEY_PREFIX_SECRET: "k".repeat(32),
  ORIGIN_SIGNING_SECRET: "s".repeat(32),
  ADMIN_TOKEN: "a".repeat(32),
};

/** Every Set-Cookie line of a login, a page and a logout, in `browser`. */
async function cookiesOfASession(browser: Browser): Promise<string[]> {
  const { email, password } = await accountWithUser();
  const lines: string[] = [];
  const keep = (response: Response) => lines.push(...response.headers.getSetCookie());
  keep(await browser.get(routes.login.href()));
  keep(await browser.post(routes.login.href(), { email, password }));
  keep(await browser.get(routes.apiKeys.href()));
  keep(await browser.post(routes.logout.href()));
  return lines;
}

const nameOf = (line: string) => line.slice(0, line.indexOf("="));
const deleted = (lines: string[], name: string) =>
  lines.some((line) => nameOf(line) === name && /; Max-Age=0(;|$)/.test(line));

describe("the dashboard's cookies", () => {
  it("set Secure cookies in production", async () => {
    const { fetch } = countingEnv(PRODUCTION);
    const response = await fetch(routes.login.href());
    expect(response.status).toBe(200);
    expect(response.headers.getSetCookie()[0]).toMatch(/; Secure/);
  });

  it("are all HttpOnly and Secure in production, when set and when deleted, from login to logout", async () => {
    const lines = await cookiesOfASession(new Browser(undefined, countingEnv(PRODUCTION).fetch));
    expect(new Set(lines.map(nameOf))).toEqual(new Set(["momail_login_csrf", "momail_session", "momail_device"]));
    // The login form's token goes once the login has used it; the session goes at logout.
    expect(deleted(lines, "momail_login_csrf")).toBe(true);
    expect(deleted(lines, "momail_session")).toBe(true);
    for (const line of lines) {
      expect(line).toMatch(/; HttpOnly(;|$)/);
      expect(line).toMatch(/; Secure(;|$)/);
    }
  });

  it("are HttpOnly and never Secure in development, where the dashboard runs over http://localhost", async () => {
    const lines = await cookiesOfASession(new Browser());
    expect(lines.length).toBeGreaterThanOrEqual(5);
    for (const line of lines) {
      expect(line).toMatch(/; HttpOnly(;|$)/);
      expect(line).not.toMatch(/Secure/);
    }
  });
});
