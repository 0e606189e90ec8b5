import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { accountWithUser, Browser } from "../support/dashboard";

/** One login attempt from a browser at `ip`. */
async function attempt(email: string, password: string, ip: string) {
  const browser = new Browser(ip);
  await browser.get("/dashboard/login");
  const response = await browser.post("/dashboard/login", { email, password });
  return { status: response.status, html: browser.html, retryAfter: response.headers.get("retry-after") };
}

const newIp = () => `203.0.113.${crypto.randomUUID()}`;

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
