/**
 * The dashboard in a real browser, against the gateway under `wrangler dev`:
 * the documented flow from login to a deleted key, with the key checked
 * against the data plane at each step, and screenshots of the main pages.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, screenshot, skipWithoutChromium } from "./support/browser.ts";
import { type Stack, startStack } from "./support/stack.ts";

const EMAIL = "alex@acme.test";
const PASSWORD = "correct horse battery staple";
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

describe.skipIf(skipWithoutChromium())("the dashboard in Chromium", () => {
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;

  const domains = (key: string) =>
    fetch(`${stack?.url}/v1/domains`, { headers: { "X-API-Key": key } }).then((response) => response.status);

  beforeAll(async () => {
    stack = await startStack();
    const account = await stack.admin<{ id: string }>("POST", "/accounts", { name: "Acme Mail" });
    await stack.admin("POST", `/accounts/${account.id}/users`, { email: EMAIL, password: PASSWORD });
    await stack.admin("POST", `/accounts/${account.id}/keys`, { name: "Billing worker", expiresAt: `${inDays(90)}` });
    await stack.admin("POST", `/accounts/${account.id}/keys`, { name: "CI pipeline" });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1200, height: 760 }, locale: "en-GB" });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  }, 30_000);

  it("logs in, creates a key that works, shows it once, and deletes it for good", async () => {
    const url = stack?.url as string;
    await page.goto(`${url}/dashboard`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/login");
    await page.getByRole("heading", { name: "Log in to your MoMail Dashboard" }).waitFor();
    await screenshot(page, "login");

    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL("**/dashboard/settings/api-keys");

    await page.getByRole("link", { name: "Settings", exact: true }).click();
    await page.waitForURL("**/dashboard/settings");
    await page.getByRole("link", { name: "API Keys", exact: true }).click();
    await page.waitForURL("**/dashboard/settings/api-keys");

    await page.getByRole("button", { name: "Create New Key" }).click();
    await page.waitForURL(/\/dashboard\/settings\/api-keys\/new\??$/);
    await page.getByLabel("Name").fill("Production server");
    await page.getByLabel("Expiration date").fill(inDays(365));
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await screenshot(page, "create-key");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByRole("heading", { name: "Your new API key" }).waitFor();

    const key = await page.getByLabel("API key", { exact: true }).inputValue();
    expect(key).toMatch(/^mk_[a-z0-9]{8}_[A-Za-z0-9]{24}$/);
    expect(page.url()).not.toContain(key);
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByRole("button", { name: "Copied" }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await screenshot(page, "key-created");
    expect(await domains(key)).toBe(200);

    // A reload shows the list, without the key, and creates nothing.
    await page.reload();
    await page.getByRole("heading", { name: "API Keys" }).waitFor();
    expect(await page.content()).not.toContain(key);
    const row = page.getByRole("row").filter({ hasText: "Production server" });
    expect(await row.count()).toBe(1);
    expect(await row.getByText(key.slice(3, 11), { exact: true }).count()).toBe(1);
    expect(await page.getByRole("row").count()).toBe(4);
    await screenshot(page, "api-keys");

    await row.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("heading", { name: "Delete API key?" }).waitFor();
    await screenshot(page, "delete-confirmation");
    expect(await domains(key)).toBe(200);
    await page.getByRole("button", { name: "Yes, delete" }).click();
    await page.waitForURL("**/dashboard/settings/api-keys?deleted=*");
    await page.getByText("was deleted. It no longer works.").waitFor();
    expect(await page.getByRole("row").filter({ hasText: "Production server" }).count()).toBe(0);
    expect(await domains(key)).toBe(401);

    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByText("You have been logged out.").waitFor();
    await page.goto(`${url}/dashboard/settings/api-keys`);
    expect(new URL(page.url()).pathname).toBe("/dashboard/login");
  });
});
