/**
 * The dashboard in a real browser, against the gateway under `wrangler dev`:
 * the documented flow from login to a deleted key, then permissions, rename,
 * roll and the list's marks, with each key checked against the data plane;
 * axe-core on every page; keyboard-only use of Create New Key; and
 * screenshots of the pages (`npm run screenshots` keeps them in docs/).
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { axeViolations } from "./support/axe.ts";
import { launchChromium, screenshot, skipWithoutChromium } from "./support/browser.ts";
import { type Stack, startStack } from "./support/stack.ts";

const EMAIL = "alex@acme.test";
const PASSWORD = "correct horse battery staple";
const KEY = /^mk_[a-z0-9]{8}_[A-Za-z0-9]{24}$/;
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

describe.skipIf(skipWithoutChromium())("the dashboard in Chromium", () => {
  let stack: Stack;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let accountId: string;
  const url = (path: string) => `${stack.url}${path}`;

  const status = (key: string, method = "GET") =>
    fetch(url("/v1/domains"), { method, headers: { "X-API-Key": key } }).then((response) => response.status);
  const keyCount = async () => (await stack.admin<unknown[]>("GET", `/accounts/${accountId}/keys`)).length;

  /** Fails with axe's findings if the page as it is now has any. */
  async function expectAccessible(label: string) {
    expect(await axeViolations(page), `axe on ${label}`).toEqual([]);
  }

  /** Creates a key through the form and answers the key shown. */
  async function createKey(name: string, options: { readOnly?: boolean } = {}) {
    await page.goto(url("/dashboard/settings/api-keys/new"));
    await page.getByLabel("Name").fill(name);
    if (options.readOnly) await page.getByLabel("Read only").check();
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByRole("heading", { name: "Your new API key" }).waitFor();
    return page.getByLabel("API key", { exact: true }).inputValue();
  }

  /** The list's row of the key named `name`. */
  const row = (name: string) => page.getByRole("row").filter({ hasText: name });

  beforeAll(async () => {
    // A leak report only flags (notify), so the leaked key stays listed with its mark.
    stack = await startStack({ DASHBOARD_RESOURCES: "domains,messages", LEAKED_KEY_ACTION: "notify" });
    const account = await stack.admin<{ id: string }>("POST", "/accounts", {
      name: "Acme Mail",
      sharedRateLimit: { limit: 1000, windowSeconds: 60 },
      quota: { limit: 100_000, period: "month" },
    });
    accountId = account.id;
    await stack.admin("POST", `/accounts/${accountId}/users`, { email: EMAIL, password: PASSWORD });
    await stack.admin("POST", `/accounts/${accountId}/keys`, { name: "Billing worker", expiresAt: inDays(90) });
    await stack.admin("POST", `/accounts/${accountId}/keys`, { name: "CI pipeline", scopes: ["*:read"] });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-GB" });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 30_000);

  it("logs in, creates a key that works, shows it once (a reload creates nothing), and deletes it for good", async () => {
    await page.goto(url("/dashboard"));
    expect(new URL(page.url()).pathname).toBe("/dashboard/login");
    await page.getByRole("heading", { name: "Log in to your MoMail Dashboard" }).waitFor();
    await expectAccessible("login");
    await screenshot(page, "login");

    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL("**/dashboard/settings/api-keys");

    await page.getByRole("link", { name: "Settings", exact: true }).click();
    await page.waitForURL("**/dashboard/settings");
    await expectAccessible("settings");
    await page.getByRole("link", { name: "API Keys", exact: true }).click();
    await page.waitForURL("**/dashboard/settings/api-keys");

    await page.getByRole("button", { name: "Create New Key" }).click();
    await page.waitForURL(/\/dashboard\/settings\/api-keys\/new\??$/);
    await expectAccessible("create new key");
    await page.getByLabel("Name").fill("Production server");
    await page.getByLabel("Expiration date").fill(inDays(365));
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await screenshot(page, "create-key");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByRole("heading", { name: "Your new API key" }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/dashboard\/settings\/api-keys\/shown\/[A-Za-z0-9_-]{43}$/);

    const key = await page.getByLabel("API key", { exact: true }).inputValue();
    expect(key).toMatch(KEY);
    expect(page.url()).not.toContain(key);
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByRole("button", { name: "Copied" }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await expectAccessible("key created");
    await screenshot(page, "key-created");
    expect(await status(key)).toBe(200);

    // A reload neither shows the key again nor creates one.
    const keys = await keyCount();
    await page.reload();
    await page.getByRole("heading", { name: "This key was shown already" }).waitFor();
    expect(await page.content()).not.toContain(key);
    expect(await keyCount()).toBe(keys);
    await expectAccessible("key shown already");

    await page.getByRole("link", { name: "Back to API Keys" }).click();
    await page.waitForURL("**/dashboard/settings/api-keys");
    expect(await row("Production server").count()).toBe(1);
    expect(await row("Production server").getByText(key.slice(3, 11), { exact: true }).count()).toBe(1);
    await expectAccessible("api keys");

    await row("Production server").getByRole("button", { name: "Delete" }).click();
    await page.getByRole("heading", { name: "Delete API key?" }).waitFor();
    await expectAccessible("delete confirmation");
    await screenshot(page, "delete-confirmation");
    expect(await status(key)).toBe(200);
    await page.getByRole("button", { name: "Yes, delete" }).click();
    await page.waitForURL("**/dashboard/settings/api-keys?deleted=*");
    await page.getByText("was deleted. It no longer works.").waitFor();
    expect(await row("Production server").count()).toBe(0);
    expect(await status(key)).toBe(401);
  });

  it("creates a Read only key with the keyboard alone: it reads (200) but cannot write (403)", async () => {
    await page.goto(url("/dashboard/settings/api-keys/new"));
    // The name field takes the focus; Tab moves through the form in reading order, with a visible ring.
    await page.waitForFunction(() => document.activeElement?.id === "name");
    await page.keyboard.type("Read-only reporter");
    expect(await page.getByLabel("Name").inputValue()).toBe("Read-only reporter");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("expiresOn");
    // Tab steps through the date's own fields (day, month, year) before leaving it.
    for (let i = 0; i < 5 && (await page.evaluate(() => document.activeElement?.id)) === "expiresOn"; i++) {
      await page.keyboard.press("Tab");
    }
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("permissions-full");
    await page.keyboard.press("ArrowDown");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("permissions-read");
    const ring = await page.evaluate(() => {
      const style = getComputedStyle(document.activeElement as Element);
      return style.outlineStyle !== "none" || style.boxShadow !== "none";
    });
    expect(ring).toBe(true);
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      await page.keyboard.press("Tab");
      order.push(
        await page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim() || ""),
      );
    }
    expect(order).toEqual(["access-domains", "access-messages", "Create key"]);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Your new API key" }).waitFor();
    const key = await page.getByLabel("API key", { exact: true }).inputValue();
    expect(await status(key)).toBe(200);
    expect(await status(key, "POST")).toBe(403);

    await page.goto(url("/dashboard/settings/api-keys"));
    expect(await row("Read-only reporter").getByText("Read only", { exact: true }).count()).toBe(1);
  });

  it("offers Custom permissions per resource from DASHBOARD_RESOURCES", async () => {
    await page.goto(url("/dashboard/settings/api-keys/new"));
    await page.getByLabel("Name").fill("Domains reader");
    await page.getByLabel("Custom").check();
    await page.getByLabel("domains").selectOption("read");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByRole("heading", { name: "Your new API key" }).waitFor();
    const key = await page.getByLabel("API key", { exact: true }).inputValue();
    expect(await status(key)).toBe(200);
    expect(await status(key, "POST")).toBe(403);
  });

  it("renames a key in place from the list", async () => {
    await page.goto(url("/dashboard/settings/api-keys"));
    await row("CI pipeline").getByText("Rename").click();
    const field = row("CI pipeline").getByLabel("New name");
    await field.fill("CI pipeline (GitHub Actions)");
    await screenshot(page, "rename-key");
    await field.press("Enter");
    await page.waitForURL("**/dashboard/settings/api-keys?renamed=*");
    await page.getByText("was renamed.").waitFor();
    expect(await row("CI pipeline (GitHub Actions)").count()).toBe(1);
    await expectAccessible("api keys after a rename");
  });

  it("rolls a key with a 1-hour grace (both keys work), then another with none (the old key gets 401 at once)", async () => {
    const graceful = await createKey("Webhook sender");
    await page.goto(url("/dashboard/settings/api-keys"));
    await row("Webhook sender").getByRole("link", { name: "Roll" }).click();
    await page.getByRole("heading", { name: "Roll API key" }).waitFor();
    await page.getByLabel("1 hour").check();
    await expectAccessible("roll key");
    await screenshot(page, "roll-key");
    await page.getByRole("button", { name: "Roll key" }).click();
    await page.getByRole("heading", { name: "Your rolled API key" }).waitFor();
    await page.getByText("keeps working until").waitFor();
    const successor = await page.getByLabel("API key", { exact: true }).inputValue();
    await expectAccessible("key rolled");
    await screenshot(page, "key-rolled");
    expect(await status(successor)).toBe(200);
    expect(await status(graceful)).toBe(200);

    const abrupt = await createKey("Leaked laptop key");
    await page.goto(url("/dashboard/settings/api-keys"));
    await row("Leaked laptop key").getByRole("link", { name: "Roll" }).click();
    await page.getByLabel("None: the old key stops working at once").check();
    await page.getByRole("button", { name: "Roll key" }).click();
    await page.getByText("has stopped working.").waitFor();
    const replacement = await page.getByLabel("API key", { exact: true }).inputValue();
    expect(await status(abrupt)).toBe(401);
    expect(await status(replacement)).toBe(200);
  });

  it("marks a key expiring within 7 days, and sorts and filters the list without a script", async () => {
    await stack.admin("POST", `/accounts/${accountId}/keys`, { name: "Trial key", expiresAt: inDays(3) });
    await page.goto(url("/dashboard/settings/api-keys"));
    expect(await row("Trial key").getByText("Expires soon").count()).toBe(1);
    expect(await row("Billing worker").getByText("Expires soon").count()).toBe(0);
    await expectAccessible("api keys with marks");

    await page.getByLabel("Show").selectOption("expiring");
    await page.getByRole("button", { name: "Apply" }).click();
    await page.waitForURL("**/dashboard/settings/api-keys?*status=expiring*");
    expect(await row("Trial key").count()).toBe(1);
    expect(await row("Billing worker").count()).toBe(0);

    await page.goto(url("/dashboard/settings/api-keys"));
    await page.getByRole("link", { name: "Name and prefix", exact: true }).click();
    await page.waitForURL("**/dashboard/settings/api-keys?sort=name");
    const names = await page
      .locator("td.name")
      .evaluateAll((cells) => cells.map((cell) => cell.firstChild?.textContent ?? ""));
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, "en", { sensitivity: "base" })));
    await expectAccessible("sorted list");
  });

  it("marks a key reported as leaked until it is deleted", async () => {
    const leaked = await stack.admin<{ key: string }>("POST", `/accounts/${accountId}/keys`, {
      name: "Pasted in a gist",
    });
    await stack.admin("POST", "/leaked-keys", { keys: [leaked.key], source: "e2e" });
    await page.goto(url("/dashboard/settings/api-keys"));
    expect(await row("Pasted in a gist").getByText("Leaked", { exact: true }).count()).toBe(1);
    expect(await page.getByText("Leaked", { exact: true }).count()).toBe(1);
    await expectAccessible("api keys with a leaked key");
    await screenshot(page, "api-keys");
    await row("Pasted in a gist").getByRole("button", { name: "Delete" }).click();
    await page.getByRole("button", { name: "Yes, delete" }).click();
    await page.waitForURL("**/dashboard/settings/api-keys?deleted=*");
    expect(await page.getByText("Leaked", { exact: true }).count()).toBe(0);
  });

  it("answers an unknown page with an accessible error page, and logs out", async () => {
    await page.goto(url("/dashboard/settings/nothing-here"));
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    await expectAccessible("404 page");
    await page.goto(url("/dashboard/settings/api-keys"));
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByText("You have been logged out.").waitFor();
    await page.goto(url("/dashboard/settings/api-keys"));
    expect(new URL(page.url()).pathname).toBe("/dashboard/login");
  });
});
