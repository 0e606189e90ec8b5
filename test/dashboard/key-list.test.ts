/**
 * What Settings > API Keys shows about each key and the account, and how
 * the list is narrowed and ordered (query parameters, applied by the
 * server: no script needed).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { countingEnv } from "../support/counting-env";
import { signedIn } from "../support/dashboard";
import { ADMIN_TOKEN, call, createKey } from "../support/helpers";

const DAY = 86_400_000;
const setColumn = (keyId: string, column: string, value: number | null) =>
  env.DB.prepare(`UPDATE api_keys SET ${column} = ? WHERE id = ?`).bind(value, keyId).run();

/** The names of the listed keys, in order. */
const names = (html: string) => [...html.matchAll(/<span class="key-name">([^<]*)</g)].map((match) => match[1]);

describe("the key list", () => {
  it("shows each key's rate limit: its own, else the account's default, else the gateway's", async () => {
    const { account, browser } = await signedIn({ rateLimit: { limit: 500, windowSeconds: 3600 } });
    await createKey(account.id, { name: "Own", rateLimit: { limit: 5, windowSeconds: 10 } });
    await createKey(account.id, { name: "Inherits" });
    await browser.get("/dashboard/settings/api-keys");
    expect(browser.html).toMatch(/5 per 10 seconds<div class="muted small">its own<\/div>/);
    expect(browser.html).toMatch(/500 per hour<div class="muted small">account default<\/div>/);

    const plain = await signedIn();
    await createKey(plain.account.id, { name: "Default" });
    await plain.browser.get("/dashboard/settings/api-keys");
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
    await browser.get("/dashboard/settings/api-keys");
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
    await browser.get("/dashboard/settings/api-keys");
    expect(browser.html).toContain("<dt>Shared rate limit</dt><dd>None</dd>");
    expect(browser.html).toContain("<dt>Quota</dt><dd><span>None</span></dd>");
  });

  it("marks keys expiring within 7 days, not those expiring later", async () => {
    const { account, browser } = await signedIn();
    await createKey(account.id, { name: "Soon", expiresAt: new Date(Date.now() + 3 * DAY).toISOString() });
    await createKey(account.id, { name: "Later", expiresAt: new Date(Date.now() + 30 * DAY).toISOString() });
    await browser.get("/dashboard/settings/api-keys");
    const soonRow = browser.html.slice(browser.html.indexOf(">Soon<"));
    expect(soonRow.slice(0, soonRow.indexOf("</tr>"))).toContain("Expires soon");
    expect(browser.html.match(/>Expires soon</g)).toHaveLength(1);
  });

  it("hints that a key unused for 90 days, or never used and older than that, is a candidate to delete", async () => {
    const { account, browser } = await signedIn();
    const idle = await createKey(account.id, { name: "Idle" });
    const never = await createKey(account.id, { name: "Never" });
    const fresh = await createKey(account.id, { name: "Fresh" });
    await setColumn(idle.id, "last_used_at", Date.now() - 91 * DAY);
    await setColumn(never.id, "created_at", Date.now() - 120 * DAY);
    await setColumn(fresh.id, "last_used_at", Date.now() - 10 * DAY);
    await browser.get("/dashboard/settings/api-keys");
    expect(browser.html).toContain("Not used in 90 days: consider deleting it");
    expect(browser.html).toContain("Never used: consider deleting it");
    expect(browser.html.match(/consider deleting it/g)).toHaveLength(2);

    await browser.get("/dashboard/settings/api-keys?status=unused");
    expect(names(browser.html).sort()).toEqual(["Idle", "Never"]);
  });

  it("sorts by name, creation or last use, either way, from the column headers", async () => {
    const { account, browser } = await signedIn();
    const b = await createKey(account.id, { name: "bravo" });
    const a = await createKey(account.id, { name: "Alpha" });
    const c = await createKey(account.id, { name: "charlie" });
    await setColumn(b.id, "created_at", Date.now() - 3 * DAY);
    await setColumn(a.id, "created_at", Date.now() - 2 * DAY);
    await setColumn(c.id, "created_at", Date.now() - 1 * DAY);
    await setColumn(a.id, "last_used_at", Date.now() - 5 * DAY);
    await setColumn(c.id, "last_used_at", Date.now() - 1 * DAY);

    await browser.get("/dashboard/settings/api-keys");
    expect(names(browser.html)).toEqual(["charlie", "Alpha", "bravo"]);
    expect(browser.html).toMatch(
      /<th scope="col" aria-sort="descending"><a href="\/dashboard\/settings\/api-keys\?dir=asc">Created/,
    );
    expect(browser.html).toContain('<a href="/dashboard/settings/api-keys?sort=name">Name and prefix</a>');
    await browser.get("/dashboard/settings/api-keys?sort=name");
    expect(names(browser.html)).toEqual(["Alpha", "bravo", "charlie"]);
    await browser.get("/dashboard/settings/api-keys?sort=name&dir=desc");
    expect(names(browser.html)).toEqual(["charlie", "bravo", "Alpha"]);
    await browser.get("/dashboard/settings/api-keys?sort=last_used");
    expect(names(browser.html)).toEqual(["charlie", "Alpha", "bravo"]);
    await browser.get("/dashboard/settings/api-keys?sort=last_used&dir=asc");
    expect(names(browser.html)).toEqual(["bravo", "Alpha", "charlie"]);
    await browser.get("/dashboard/settings/api-keys?sort=created&dir=asc");
    expect(names(browser.html)).toEqual(["bravo", "Alpha", "charlie"]);
  });

  it("searches names and prefixes, says how many match, and shows the list for unknown parameters", async () => {
    const { account, browser } = await signedIn();
    await createKey(account.id, { name: "Production API" });
    const staging = await createKey(account.id, { name: "Staging" });
    await browser.get("/dashboard/settings/api-keys?q=PRODUCTION");
    expect(names(browser.html)).toEqual(["Production API"]);
    expect(browser.html).toContain("1 of 2 keys match.");
    expect(browser.html).toContain('<input id="q" name="q" type="search" value="PRODUCTION"');
    await browser.get(`/dashboard/settings/api-keys?q=${staging.prefix}`);
    expect(names(browser.html)).toEqual(["Staging"]);
    expect((await browser.get("/dashboard/settings/api-keys?sort=%3Cx%3E&dir=up&status=zzz")).status).toBe(200);
    expect(names(browser.html)).toHaveLength(2);
  });

  it("has labelled search, filter and order controls in a GET form", async () => {
    const { account, browser } = await signedIn();
    await createKey(account.id);
    await browser.get("/dashboard/settings/api-keys");
    expect(browser.html).toContain(
      '<form class="list-controls" method="get" action="/dashboard/settings/api-keys" aria-label="Search and sort keys">',
    );
    for (const [id, label] of [
      ["q", "Search"],
      ["status", "Show"],
      ["sort", "Sort by"],
      ["dir", "Order"],
    ]) {
      expect(browser.html).toContain(`<label for="${id}">${label}</label>`);
    }
  });

  it("marks a key reported as leaked (LEAKED_KEY_ACTION=notify keeps it live), and filters on it", async () => {
    const { account, browser } = await signedIn();
    const leaky = await createKey(account.id, { name: "Pasted in a gist" });
    await createKey(account.id, { name: "Safe" });
    const report = await countingEnv({ LEAKED_KEY_ACTION: "notify" }).fetch("/admin/leaked-keys", {
      method: "POST",
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ keys: [leaky.key], source: "test" }),
    });
    expect(report.status).toBe(200);
    expect((await call(leaky.key)).status).toBe(200);

    await browser.get("/dashboard/settings/api-keys");
    const row = browser.html.slice(browser.html.indexOf(">Pasted in a gist<"));
    expect(row.slice(0, row.indexOf("</tr>"))).toMatch(/title="Reported as leaked [^"]+: roll or delete it">Leaked</);
    expect(browser.html.match(/>Leaked</g)).toHaveLength(1);
    await browser.get("/dashboard/settings/api-keys?status=leaked");
    expect(names(browser.html)).toEqual(["Pasted in a gist"]);
  });

  it("keeps the leaked mark until the key is deleted", async () => {
    const { account, browser } = await signedIn();
    const leaky = await createKey(account.id, { name: "Marked" });
    await setColumn(leaky.id, "leaked_at", Date.now() - DAY);
    await browser.get("/dashboard/settings/api-keys");
    expect(browser.html).toContain(">Leaked</span>");
    await browser.get(`/dashboard/settings/api-keys/${leaky.id}/delete`);
    await browser.post(`/dashboard/settings/api-keys/${leaky.id}/delete`);
    await browser.get("/dashboard/settings/api-keys");
    expect(browser.html).not.toContain(">Leaked</span>");
  });
});
