/**
 * The login page and logging in: a labelled form with its double-submit
 * cookie; a session cookie (HttpOnly, SameSite=Lax, Path=/dashboard) whose
 * token D1 keeps only as a SHA-256; one generic error for a wrong password,
 * an unknown email and a disabled account; and the audit entries of logins.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../../src/crypto";
import { auditLogOf } from "../../support/audit";
import { accountWithUser, Browser, routes, signedIn } from "../../support/dashboard";
import { admin } from "../../support/helpers";

const cookieLine = (response: Response, name: string) =>
  response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`)) ?? "";

describe("the login page", () => {
  it("is a form with labelled Email and Password inputs and a Log in button", async () => {
    const browser = new Browser();
    const response = await browser.get(routes.login.href());
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(browser.html).toMatch(/^<!DOCTYPE html>/);
    expect(browser.html).toContain('<label for="email">Email</label>');
    expect(browser.html).toMatch(/<input id="email" name="email" type="email"/);
    expect(browser.html).toContain('<label for="password">Password</label>');
    expect(browser.html).toMatch(/<input id="password" name="password" type="password"/);
    expect(browser.html).toMatch(/<button type="submit"[^>]*>Log in<\/button>/);
    expect(cookieLine(response, "momail_login_csrf")).toMatch(/HttpOnly/);
    expect(cookieLine(response, "momail_login_csrf")).toMatch(/Path=\/dashboard\/login/);
  });

  it("redirects /dashboard to the login page when signed out, and to Settings > API Keys when signed in", async () => {
    const anonymous = await new Browser().get(routes.root.href());
    expect(anonymous.status).toBe(303);
    expect(anonymous.headers.get("location")).toBe(routes.login.href());
    const { browser } = await signedIn();
    const response = await browser.get(routes.root.href());
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(routes.apiKeys.href());
    expect((await browser.get(routes.login.href())).headers.get("location")).toBe(routes.apiKeys.href());
  });
});

describe("logging in", () => {
  it("starts a session: HttpOnly, SameSite=Lax, Path=/dashboard cookie, and only the token's SHA-256 in D1", async () => {
    const { account, email, password } = await accountWithUser();
    const browser = new Browser();
    await browser.get(routes.login.href());
    const response = await browser.post(routes.login.href(), { email, password });
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(routes.apiKeys.href());
    const line = cookieLine(response, "momail_session");
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/SameSite=Lax/);
    expect(line).toMatch(/Path=\/dashboard(;|$)/);
    // ENVIRONMENT is "development" in the tests, so no Secure (the dashboard works over http://localhost).
    expect(line).not.toMatch(/Secure/);

    const token = browser.cookies.get("momail_session")?.value ?? "";
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const rows = await env.DB.prepare("SELECT * FROM sessions WHERE account_id = ?")
      .bind(account.id)
      .all<Record<string, unknown>>();
    expect(rows.results).toHaveLength(1);
    const row = rows.results[0] as Record<string, unknown>;
    expect(row.id).toMatch(/^ses_[A-Za-z0-9]{20}$/);
    expect(row.token_hash).toBe(await sha256Hex(token));
    expect(JSON.stringify(rows.results)).not.toContain(token);
    const hours = ((row.expires_at as number) - (row.created_at as number)) / 3_600_000;
    expect(hours).toBe(12);
  });

  it("accepts the email in any case, with surrounding spaces", async () => {
    const { email, password } = await accountWithUser();
    const browser = new Browser();
    await browser.get(routes.login.href());
    const response = await browser.post(routes.login.href(), { email: `  ${email.toUpperCase()} `, password });
    expect(response.status).toBe(303);
  });

  it("answers a wrong password and an unknown email with the same generic error, and no session", async () => {
    const { email } = await accountWithUser();
    const pages: string[] = [];
    for (const attempt of [
      { email, password: "wrong password" },
      { email: `nobody-${crypto.randomUUID()}@acme.test`, password: "whatever it is" },
    ]) {
      const browser = new Browser();
      await browser.get(routes.login.href());
      const response = await browser.post(routes.login.href(), attempt);
      expect(response.status).toBe(401);
      expect(browser.html).toContain("Invalid email or password");
      expect(browser.cookies.has("momail_session")).toBe(false);
      pages.push(browser.html.replace(/(value|nonce)="[^"]*"/g, ""));
    }
    expect(pages[0]).toBe(pages[1]);
  });

  it("re-renders the form with the email when a field is empty", async () => {
    const browser = new Browser();
    await browser.get(routes.login.href());
    const response = await browser.post(routes.login.href(), { email: "ops@acme.test", password: "" });
    expect(response.status).toBe(400);
    expect(browser.html).toContain("Enter your email and password.");
    expect(browser.html).toContain('value="ops@acme.test"');
  });

  it("refuses the users of a disabled account, and ends their sessions at once", async () => {
    const { account, email, password, browser } = await signedIn();
    expect((await browser.get(routes.apiKeys.href())).status).toBe(200);
    await admin("PATCH", `/accounts/${account.id}`, { disabled: true });

    const page = await browser.get(routes.apiKeys.href());
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe(routes.login.href());

    const again = new Browser();
    await again.get(routes.login.href());
    const response = await again.post(routes.login.href(), { email, password });
    expect(response.status).toBe(401);
    expect(again.cookies.has("momail_session")).toBe(false);

    await admin("PATCH", `/accounts/${account.id}`, { disabled: false });
    await again.login(email, password);
  });

  it("answers the right password of a disabled account exactly as a wrong one, so it tells nothing", async () => {
    const { account, email, password } = await accountWithUser();
    await admin("PATCH", `/accounts/${account.id}`, { disabled: true });
    const pages: string[] = [];
    for (const attempt of [password, "wrong password"]) {
      const browser = new Browser();
      await browser.get(routes.login.href());
      const response = await browser.post(routes.login.href(), { email, password: attempt });
      expect(response.status).toBe(401);
      expect(browser.html).toContain("Invalid email or password");
      expect(browser.html).not.toContain("disabled");
      pages.push(browser.html.replace(/(value|nonce)="[^"]*"/g, ""));
    }
    expect(pages[0]).toBe(pages[1]);
  });

  it("counts the right password of a disabled account as a failed attempt", async () => {
    const { account, email, password } = await accountWithUser();
    await admin("PATCH", `/accounts/${account.id}`, { disabled: true });
    const failures = () =>
      env.DB.prepare("SELECT count(*) AS n FROM login_attempts WHERE email = ?").bind(email).first<{ n: number }>();
    for (let i = 1; i <= 5; i++) {
      const browser = new Browser();
      await browser.get(routes.login.href());
      expect((await browser.post(routes.login.href(), { email, password })).status).toBe(401);
      expect((await failures())?.n).toBe(i);
    }
    await admin("PATCH", `/accounts/${account.id}`, { disabled: false });
    const browser = new Browser();
    await browser.get(routes.login.href());
    expect((await browser.post(routes.login.href(), { email, password })).status).toBe(429);
  });
});

describe("the audit log of logins", () => {
  it("records a failed login, and a login, with the client's full address", async () => {
    const { account, email, password } = await accountWithUser();
    const stranger = new Browser("2001:db8:1:2:3:4:5:6");
    await stranger.get(routes.login.href());
    expect((await stranger.post(routes.login.href(), { email, password: `${password}!` })).status).toBe(401);
    await stranger.login(email, password);

    const [login, failed] = await auditLogOf(account.id);
    expect(failed).toMatchObject({ action: "user.login_failed", actor: { type: "user", email }, ip: stranger.ip });
    expect(login).toMatchObject({ action: "user.login", ip: stranger.ip });
  });
});
