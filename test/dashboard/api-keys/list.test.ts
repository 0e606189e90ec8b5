/**
 * Settings > API Keys, the list: the account's keys with name, prefix,
 * dates and last use (never a secret, never another account's), an empty
 * state; each key's rate limit and whose it is; and the account's limits
 * above the list (shared limit, quota used this period, keys against its
 * maximum).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { literally, routes, signedIn } from "../../support/dashboard";
import { admin, call, createKey } from "../../support/helpers";

describe("Settings > API Keys", () => {
  it("has Settings and API Keys links in the navigation, and Settings leads to API Keys", async () => {
    const { browser } = await signedIn();
    expect((await browser.get(routes.settings.href())).status).toBe(200);
    expect(browser.html).toMatch(new RegExp(`<a href="${literally(routes.settings.href())}"[^>]*>Settings</a>`));
    expect(browser.html).toMatch(new RegExp(`<a href="${literally(routes.apiKeys.href())}"[^>]*>API Keys</a>`));
  });

  it("lists the account's keys with name, prefix, created, expires and last used; never a secret", async () => {
    const { account, browser } = await signedIn();
    const expiring = await createKey(account.id, { name: "Billing worker", expiresAt: "2031-05-04T00:00:00Z" });
    const plain = await createKey(account.id, { name: "Production server" });
    const revoked = await createKey(account.id, { name: "Old laptop" });
    await admin("DELETE", `/accounts/${account.id}/keys/${revoked.id}`);

    const response = await browser.get(routes.apiKeys.href());
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const { html } = browser;
    for (const key of [expiring, plain]) {
      expect(html).toContain(key.name);
      expect(html).toContain(`<code class="prefix">${key.prefix}</code>`);
      expect(html).not.toContain(key.key.slice(12));
    }
    expect(html).not.toContain("Old laptop");
    expect(html).toContain(">4 May 2031</time>");
    for (const column of ["Name and prefix", "Permissions", "Rate limit", "Created", "Expires", "Last used"])
      expect(html).toMatch(new RegExp(`<th scope="col"[^>]*>(<a [^>]*>)?${column}<`));
    expect(html).toMatch(/<button type="submit" class="btn btn-primary">Create New Key<\/button>/);
    expect(html.match(/>Delete<\/button>/g)).toHaveLength(2);
    // Newest first.
    expect(html.indexOf("Production server")).toBeLessThan(html.indexOf("Billing worker"));
  });

  it("shows when a key was last used", async () => {
    const { account, browser } = await signedIn();
    // Written as a rollup from the account's gate would: the gate itself has no newer use of the key.
    const key = await createKey(account.id, { name: "Busy" });
    await env.DB.prepare("UPDATE api_keys SET last_used_at = ? WHERE id = ?")
      .bind(Date.UTC(2026, 0, 2, 3, 4), key.id)
      .run();
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toContain("2 Jan 2026, 03:04 UTC");
  });

  it("shows an empty state when the account has no key", async () => {
    const { browser } = await signedIn();
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toContain("No API keys yet");
  });

  it("never shows another account's keys", async () => {
    const a = await signedIn();
    const b = await signedIn();
    const theirs = await createKey(b.account.id, { name: "B's secret project" });
    await a.browser.get(routes.apiKeys.href());
    expect(a.browser.html).not.toContain("B's secret project");
    expect(a.browser.html).not.toContain(theirs.prefix);
  });

  it("escapes key names", async () => {
    const { account, browser } = await signedIn();
    await createKey(account.id, { name: '<script>alert("x")</script>' });
    await browser.get(routes.apiKeys.href());
    expect(browser.html).not.toContain('<script>alert("x")');
    expect(browser.html).toContain("&lt;script&gt;");
  });
});

describe("the limits on the list", () => {
  it("shows each key's rate limit: its own, else the account's default, else the gateway's", async () => {
    const { account, browser } = await signedIn({ rateLimit: { limit: 500, windowSeconds: 3600 } });
    await createKey(account.id, { name: "Own", rateLimit: { limit: 5, windowSeconds: 10 } });
    await createKey(account.id, { name: "Inherits" });
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toMatch(/5 per 10 seconds<div class="muted small">its own<\/div>/);
    expect(browser.html).toMatch(/500 per hour<div class="muted small">account default<\/div>/);

    const plain = await signedIn();
    await createKey(plain.account.id, { name: "Default" });
    await plain.browser.get(routes.apiKeys.href());
    expect(plain.browser.html).toMatch(/100 per minute<div class="muted small">gateway default<\/div>/);
  });

  it("shows the account's shared limit, its quota with this period's use, and its keys against the maximum", async () => {
    const { account, browser } = await signedIn({
      sharedRateLimit: { limit: 1000, windowSeconds: 60 },
      quota: { limit: 50_000, period: "month" },
      maxKeys: 10,
    });
    const key = await createKey(account.id, { name: "Busy" });
    for (let i = 0; i < 3; i++) expect((await call(key.key)).status).toBe(200);
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toContain("<dt>Shared rate limit</dt><dd>1,000 per minute for all keys together</dd>");
    // The gate's own count, as the admin API shows it (units leased to a location count as used).
    const shown =
      /<strong>([\d,]+)<\/strong> of 50,000 units used this month \(UTC\) · resets 1 [A-Z][a-z]{2} \d{4}, 00:00 UTC/.exec(
        browser.html,
      );
    expect(Number(shown?.[1]?.replaceAll(",", ""))).toBeGreaterThanOrEqual(3);
    expect(browser.html).toContain("<dt>Keys</dt><dd>1 of 10</dd>");
  });

  it("says None for an account without a shared limit or quota", async () => {
    const { browser } = await signedIn();
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toContain("<dt>Shared rate limit</dt><dd>None</dd>");
    expect(browser.html).toContain("<dt>Quota</dt><dd><span>None</span></dd>");
  });
});
