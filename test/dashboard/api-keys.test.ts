import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { signedIn } from "../support/dashboard";
import { admin, call, createKey, dataOf } from "../support/helpers";

const KEY_PATTERN = /mk_[a-z0-9]{8}_[A-Za-z0-9]{24}/;
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
const keyCount = async (accountId: string) =>
  (
    await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE account_id = ?")
      .bind(accountId)
      .first<{ n: number }>()
  )?.n;

describe("Settings > API Keys", () => {
  it("has Settings and API Keys links in the navigation, and Settings leads to API Keys", async () => {
    const { browser } = await signedIn();
    expect((await browser.get("/dashboard/settings")).status).toBe(200);
    expect(browser.html).toMatch(/<a href="\/dashboard\/settings"[^>]*>Settings<\/a>/);
    expect(browser.html).toMatch(/<a href="\/dashboard\/settings\/api-keys"[^>]*>API Keys<\/a>/);
  });

  it("lists the account's keys with name, prefix, created, expires and last used; never a secret", async () => {
    const { account, browser } = await signedIn();
    const expiring = await createKey(account.id, { name: "Billing worker", expiresAt: "2031-05-04T00:00:00Z" });
    const plain = await createKey(account.id, { name: "Production server" });
    const revoked = await createKey(account.id, { name: "Old laptop" });
    await admin("DELETE", `/accounts/${account.id}/keys/${revoked.id}`);

    const response = await browser.get("/dashboard/settings/api-keys");
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
    await browser.get("/dashboard/settings/api-keys");
    expect(browser.html).toContain("2 Jan 2026, 03:04 UTC");
  });

  it("shows an empty state when the account has no key", async () => {
    const { browser } = await signedIn();
    await browser.get("/dashboard/settings/api-keys");
    expect(browser.html).toContain("No API keys yet");
  });

  it("never shows another account's keys", async () => {
    const a = await signedIn();
    const b = await signedIn();
    const theirs = await createKey(b.account.id, { name: "B's secret project" });
    await a.browser.get("/dashboard/settings/api-keys");
    expect(a.browser.html).not.toContain("B's secret project");
    expect(a.browser.html).not.toContain(theirs.prefix);
  });

  it("escapes key names", async () => {
    const { account, browser } = await signedIn();
    await createKey(account.id, { name: '<script>alert("x")</script>' });
    await browser.get("/dashboard/settings/api-keys");
    expect(browser.html).not.toContain('<script>alert("x")');
    expect(browser.html).toContain("&lt;script&gt;");
  });
});

describe("Create New Key", () => {
  it("is a form with a labelled Name and optional Expiration date", async () => {
    const { browser } = await signedIn();
    expect((await browser.get("/dashboard/settings/api-keys/new")).status).toBe(200);
    expect(browser.html).toContain('<label for="name">Name</label>');
    expect(browser.html).toMatch(/<input id="name" name="name" type="text" required="" maxlength="100"/);
    expect(browser.html).toMatch(/<label for="expiresOn">Expiration date <span class="optional">\(optional\)<\/span>/);
    expect(browser.html).toMatch(new RegExp(`<input id="expiresOn" name="expiresOn" type="date" min="${day(1)}"`));
  });

  it("shows the full key once, after a redirect, with a Copy button and a warning; it works at once; the list never shows it again", async () => {
    const { account, browser } = await signedIn();
    await browser.get("/dashboard/settings/api-keys/new");
    const posted = await browser.post("/dashboard/settings/api-keys", {
      name: "  Production server ",
      expiresOn: day(30),
    });
    expect(posted.status).toBe(303);
    expect(posted.headers.get("location")).toMatch(/^\/dashboard\/settings\/api-keys\/shown\/[A-Za-z0-9_-]{43}$/);
    expect(posted.headers.get("location")).not.toMatch(/mk_/);
    const response = await browser.follow(posted);
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(response.headers.getSetCookie()).toEqual([]);
    const key = KEY_PATTERN.exec(browser.html)?.[0] as string;
    expect(key).toBeDefined();
    expect(browser.html).toMatch(/<button type="button" id="copy-key" class="btn btn-primary">Copy<\/button>/);
    expect(browser.html).toContain('<label for="new-key">');
    expect(browser.html).toMatch(/<input id="new-key" type="text" readonly="" value="mk_/);
    expect(browser.html).toContain("it will not be shown again");

    const listed = await dataOf<Array<{ name: string; prefix: string; expiresAt: string }>>(
      await admin("GET", `/accounts/${account.id}/keys`),
    );
    expect(listed).toEqual([expect.objectContaining({ name: "Production server", prefix: key.slice(3, 11) })]);
    expect(listed[0]?.expiresAt).toBe(`${day(30)}T00:00:00.000Z`);

    const domains = await call(key);
    expect(domains.status).toBe(200);

    await browser.get("/dashboard/settings/api-keys");
    expect(browser.html).toContain(key.slice(3, 11));
    expect(browser.html).not.toMatch(KEY_PATTERN);
    expect(await keyCount(account.id)).toBe(1);
  });

  it("creates a key that never expires when the date is left empty", async () => {
    const { account, browser } = await signedIn();
    await browser.get("/dashboard/settings/api-keys/new");
    expect((await browser.post("/dashboard/settings/api-keys", { name: "Forever", expiresOn: "" })).status).toBe(303);
    const [listed] = await dataOf<Array<{ expiresAt: string | null }>>(
      await admin("GET", `/accounts/${account.id}/keys`),
    );
    expect(listed?.expiresAt).toBeNull();
  });

  it.each([
    ["a missing name", { name: "", expiresOn: day(3) }, "name", "Enter a name for the key."],
    ["a blank name", { name: "    " }, "name", "Enter a name for the key."],
    ["an overlong name", { name: "x".repeat(101) }, "name", "Use at most 100 characters for the name."],
    ["a date in the past", { name: "Old", expiresOn: "2020-01-01" }, "expiresOn", "Choose a date in the future."],
    ["today's date", { name: "Today", expiresOn: day(0) }, "expiresOn", "Choose a date in the future."],
    [
      "an impossible date",
      { name: "Feb", expiresOn: "2031-02-30" },
      "expiresOn",
      "Enter a valid date, e.g. 2027-01-31.",
    ],
    [
      "a date that is not one",
      { name: "Junk", expiresOn: "next week" },
      "expiresOn",
      "Enter a valid date, e.g. 2027-01-31.",
    ],
  ])("refuses %s with 400, a message next to the field, and the values kept", async (_, fields, field, message) => {
    const { account, browser } = await signedIn();
    await browser.get("/dashboard/settings/api-keys/new");
    const response = await browser.post("/dashboard/settings/api-keys", fields);
    expect(response.status).toBe(400);
    expect(browser.html).toContain(`<p class="field-error" id="${field}-error">${message}</p>`);
    expect(browser.html).toMatch(
      new RegExp(`id="${field}"[^>]*aria-invalid="true"[^>]*aria-describedby="${field}-error`),
    );
    for (const [name, value] of Object.entries(fields)) {
      expect(browser.html).toMatch(new RegExp(`name="${name}"[^>]*value="${value}"`));
    }
    expect(browser.html).not.toMatch(KEY_PATTERN);
    expect(await keyCount(account.id)).toBe(0);
  });
});
