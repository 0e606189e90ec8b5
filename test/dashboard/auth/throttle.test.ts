/**
 * The dashboard's login throttle: per client address, per email for untrusted
 * clients, and per trusted device (a browser that logged in as the email
 * before), so that guessing is slowed and stopped while a stranger's guesses
 * cannot lock the owner's own browser out.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { accountWithUser, Browser, routes } from "../../support/dashboard";

/** One login attempt from a browser at `ip`. */
async function attempt(email: string, password: string, ip: string) {
  const browser = new Browser(ip);
  await browser.get(routes.login.href());
  const response = await browser.post(routes.login.href(), { email, password });
  return { status: response.status, html: browser.html, retryAfter: response.headers.get("retry-after") };
}

const newIp = () => `203.0.113.${crypto.randomUUID()}`;

/** A browser at `ip` that logged in as the user once, and whose session has since ended. */
async function ownersBrowser(email: string, password: string, ip = newIp()) {
  const browser = new Browser(ip);
  await browser.login(email, password);
  browser.cookies.delete("momail_session");
  return browser;
}

/** One login attempt from an existing browser (its cookies kept). */
async function attemptFrom(browser: Browser, email: string, password: string) {
  await browser.get(routes.login.href());
  return (await browser.post(routes.login.href(), { email, password })).status;
}

describe("login throttling", () => {
  it("refuses (429) a sixth try within 15 minutes after 5 failures for an email, even with the right password", async () => {
    const { email, password } = await accountWithUser();
    for (let i = 0; i < 5; i++) expect((await attempt(email, "wrong password", newIp())).status).toBe(401);
    const refused = await attempt(email, password, newIp());
    expect(refused.status).toBe(429);
    expect(refused.html).toContain("Too many failed login attempts. Please try again in 15 minutes.");
    expect(Number(refused.retryAfter)).toBeGreaterThan(890);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(900);

    // Another email from the same address is not affected.
    const other = await accountWithUser();
    expect((await attempt(other.email, other.password, newIp())).status).toBe(303);
  });

  it("lets the email in again once its failures are older than the window", async () => {
    const { email, password } = await accountWithUser();
    for (let i = 0; i < 5; i++) await attempt(email, "wrong password", newIp());
    expect((await attempt(email, password, newIp())).status).toBe(429);
    await env.DB.prepare("UPDATE login_attempts SET created_at = created_at - ? WHERE email = ?")
      .bind(15 * 60 * 1000 + 1, email)
      .run();
    expect((await attempt(email, password, newIp())).status).toBe(303);
  });

  it("forgets an email's failures after a successful login", async () => {
    const { email, password } = await accountWithUser();
    for (let i = 0; i < 4; i++) await attempt(email, "wrong password", newIp());
    expect((await attempt(email, password, newIp())).status).toBe(303);
    for (let i = 0; i < 4; i++) expect((await attempt(email, "wrong password", newIp())).status).toBe(401);
    expect((await attempt(email, password, newIp())).status).toBe(303);
  });

  it("refuses an address after 20 failures, whatever the email, and spares other addresses", async () => {
    const ip = newIp();
    for (let i = 0; i < 20; i++) {
      expect((await attempt(`nobody-${i}-${crypto.randomUUID()}@acme.test`, "guess", ip)).status).toBe(401);
    }
    const { email, password } = await accountWithUser();
    expect((await attempt(email, password, ip)).status).toBe(429);
    expect((await attempt(email, password, newIp())).status).toBe(303);
  });

  it("counts IPv6 addresses by their /64", async () => {
    const prefix = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:7`;
    for (let i = 0; i < 20; i++) {
      await attempt(`nobody-${crypto.randomUUID()}@acme.test`, "guess", `${prefix}::${(i + 1).toString(16)}`);
    }
    const { email, password } = await accountWithUser();
    expect((await attempt(email, password, `${prefix}:0:0:0:ffff`)).status).toBe(429);
  });

  it("lets no more than 5 of a parallel burst of guesses be checked", async () => {
    const { email } = await accountWithUser();
    const statuses = await Promise.all(
      Array.from({ length: 12 }, () => attempt(email, "wrong password", newIp()).then((r) => r.status)),
    );
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(7);
  });
});

describe("login throttling against an attacker who targets the owner", () => {
  it("lets the owner's browser log in while a stranger has locked the email from many addresses and the owner's own", async () => {
    const { email, password } = await accountWithUser();
    const shared = newIp();
    const owner = await ownersBrowser(email, password, shared);

    // The stranger exhausts the owner's address, then the email from ten others.
    for (let i = 0; i < 20; i++) await attempt(`nobody-${crypto.randomUUID()}@acme.test`, "guess", shared);
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await attempt(email, `guess ${i}`, newIp())).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429, 429, 429]);
    expect((await attempt(email, password, shared)).status).toBe(429);

    // The owner's browser has its own count: it gets in, from the same address.
    expect(await attemptFrom(owner, email, password)).toBe(303);
    expect(owner.cookies.has("momail_session")).toBe(true);
  });

  it("keeps the stranger locked out after the owner logs in: the owner's success does not reset the email's count", async () => {
    const { email, password } = await accountWithUser();
    const owner = await ownersBrowser(email, password);
    for (let i = 0; i < 5; i++) await attempt(email, "wrong password", newIp());
    expect(await attemptFrom(owner, email, password)).toBe(303);
    expect((await attempt(email, "another guess", newIp())).status).toBe(429);
  });

  it("gives a trusted browser only 5 failures of its own, then refuses it too", async () => {
    const { email, password } = await accountWithUser();
    const owner = await ownersBrowser(email, password);
    for (let i = 0; i < 5; i++) expect(await attemptFrom(owner, email, "wrong password")).toBe(401);
    expect(await attemptFrom(owner, email, password)).toBe(429);
    // Its failures are its own: another browser is not locked out by them.
    expect((await attempt(email, password, newIp())).status).toBe(303);
  });

  it("trusts a browser only for the email it logged in as", async () => {
    const victim = await accountWithUser();
    const attacker = await accountWithUser();
    const browser = await ownersBrowser(attacker.email, attacker.password);
    for (let i = 0; i < 5; i++) expect(await attemptFrom(browser, victim.email, `guess ${i}`)).toBe(401);
    expect(await attemptFrom(browser, victim.email, victim.password)).toBe(429);
  });

  it("ignores a forged or tampered device cookie", async () => {
    const { email, password } = await accountWithUser();
    const owner = await ownersBrowser(email, password);
    const cookie = owner.cookies.get("momail_device");
    if (!cookie) throw new Error("no device cookie");
    for (let i = 0; i < 5; i++) await attempt(email, "wrong password", newIp());
    const forged = new Browser();
    forged.cookies.set("momail_device", {
      ...cookie,
      value: cookie.value.replace(/^./, (ch) => (ch === "A" ? "B" : "A")),
    });
    expect(await attemptFrom(forged, email, password)).toBe(429);
  });

  it("sets the device cookie HttpOnly, SameSite=Strict, for the login path only, with no email in it", async () => {
    const { email, password } = await accountWithUser();
    const browser = new Browser();
    await browser.get(routes.login.href());
    const response = await browser.post(routes.login.href(), { email, password });
    const line = response.headers.getSetCookie().find((l) => l.startsWith("momail_device=")) ?? "";
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/SameSite=Strict/);
    expect(line).toMatch(/Path=\/dashboard\/login(;|$)/);
    expect(line).toMatch(/Max-Age=7776000/);
    expect(decodeURIComponent(line)).not.toContain(email.split("@")[0]);
  });
});
