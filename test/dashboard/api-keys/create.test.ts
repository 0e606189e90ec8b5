/**
 * Create New Key: a labelled form (name, optional expiration date); the new
 * key shown once after a redirect, working at once and never shown again;
 * no expiry when the date is left empty; and each refused value answered
 * 400 with its message next to its field, what was typed kept, and nothing
 * created.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { literally, routes, signedIn } from "../../support/dashboard";
import { admin, call, dataOf } from "../../support/helpers";

const KEY_PATTERN = /mk_[a-z0-9]{8}_[A-Za-z0-9]{24}/;
const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
const keyCount = async (accountId: string) =>
  (
    await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE account_id = ?")
      .bind(accountId)
      .first<{ n: number }>()
  )?.n;

describe("Create New Key", () => {
  it("is a form with a labelled Name and optional Expiration date", async () => {
    const { browser } = await signedIn();
    expect((await browser.get(routes.newKey.href())).status).toBe(200);
    expect(browser.html).toContain('<label for="name">Name</label>');
    expect(browser.html).toMatch(/<input id="name" name="name" type="text" required="" maxlength="100"/);
    expect(browser.html).toMatch(/<label for="expiresOn">Expiration date <span class="optional">\(optional\)<\/span>/);
    expect(browser.html).toMatch(new RegExp(`<input id="expiresOn" name="expiresOn" type="date" min="${day(1)}"`));
  });

  it("shows the full key once, after a redirect, with a Copy button and a warning; it works at once; the list never shows it again", async () => {
    const { account, browser } = await signedIn();
    await browser.get(routes.newKey.href());
    const posted = await browser.post(routes.apiKeys.href(), {
      name: "  Production server ",
      expiresOn: day(30),
    });
    expect(posted.status).toBe(303);
    const shown = new RegExp(`^${literally(routes.keyShown.href({ revealId: "" }))}[A-Za-z0-9_-]{43}$`);
    expect(posted.headers.get("location")).toMatch(shown);
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

    await browser.get(routes.apiKeys.href());
    expect(browser.html).toContain(key.slice(3, 11));
    expect(browser.html).not.toMatch(KEY_PATTERN);
    expect(await keyCount(account.id)).toBe(1);
  });

  it("creates a key that never expires when the date is left empty", async () => {
    const { account, browser } = await signedIn();
    await browser.get(routes.newKey.href());
    expect((await browser.post(routes.apiKeys.href(), { name: "Forever", expiresOn: "" })).status).toBe(303);
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
    await browser.get(routes.newKey.href());
    const response = await browser.post(routes.apiKeys.href(), fields);
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
