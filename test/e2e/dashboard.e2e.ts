/**
 * The dashboard in a real browser, against the gateway under `wrangler dev`:
 * the documented flow from login to a deleted key, then permissions, rename,
 * roll and the list's marks (last use after a real /v1 request, a key its
 * leak report revoked), with each key checked against the data plane;
 * Webhooks (a URL to the demo origin's receiver, the secret once, a test
 * event delivered and verified), Usage after real traffic, and the Audit
 * log of what the test did, page by page; axe-core on every page of the
 * dashboard, in each of its states (a refused form, a notice, a secret shown
 * and shown already, a confirmation, an error page signed in and out); a
 * test key and a restricted key created through the form and used against
 * the running gateway, and a key's restrictions changed on its page;
 * keyboard-only use of Create New Key; and screenshots of the pages
 * (`npm run screenshots` keeps them in docs/). Each test has a browser
 * context of its own, signed in (the first and the last sign in themselves),
 * and depends on no other test: they pass in any order.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { axeViolations } from "./support/axe.ts";
import { launchChromium, screenshot, skipWithoutChromium } from "./support/browser.ts";
import { type Stack, sharedStack } from "./support/stack.ts";

const EMAIL = "alex@acme.test";
const PASSWORD = "correct horse battery staple";
/** The user of the account whose audit log is read, and who writes most of it. */
const AUDITED_EMAIL = "sam@acme.test";
const KEY = /^mk_[a-z0-9]{8}_[A-Za-z0-9]{24}$/;
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

describe.skipIf(skipWithoutChromium())("the dashboard in Chromium", () => {
  let stack: Stack;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let accountId: string;
  let billingKey: string;
  /** Alex's session, in which each test starts. */
  let signedIn: Awaited<ReturnType<BrowserContext["storageState"]>>;
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

  /** A browser context as the tests use it, with the clipboard allowed, in `state` if given. */
  async function newContext(state?: typeof signedIn) {
    const created = await (browser as Browser).newContext({
      viewport: { width: 1280, height: 800 },
      locale: "en-GB",
      storageState: state,
    });
    await created.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
    return created;
  }

  /** Logs in through the form, as `email`, in the current page. */
  async function logIn(email = EMAIL, password = PASSWORD) {
    await page.goto(url("/dashboard/login"));
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL("**/dashboard/settings/api-keys");
  }

  beforeAll(async () => {
    // LEAKED_KEY_ACTION is the default (revoke): a reported key is revoked, and stays listed, marked, until deleted.
    // DASHBOARD_RESOURCES is "domains,messages" (support/stack.ts).
    stack = await sharedStack();
    const account = await stack.admin<{ id: string }>("POST", "/accounts", {
      name: "Acme Mail",
      sharedRateLimit: { limit: 1000, windowSeconds: 60 },
      quota: { limit: 100_000, period: "month" },
    });
    accountId = account.id;
    // Older entries, so that the audit log has a second page (of 25) at the end.
    for (let i = 1; i <= 12; i++) await stack.admin("PATCH", `/accounts/${accountId}`, { name: "Acme Mail" });
    await stack.admin("POST", `/accounts/${accountId}/users`, { email: EMAIL, password: PASSWORD });
    const billing = await stack.admin<{ key: string }>("POST", `/accounts/${accountId}/keys`, {
      name: "Billing worker",
      expiresAt: inDays(90),
    });
    billingKey = billing.key;
    await stack.admin("POST", `/accounts/${accountId}/keys`, { name: "CI pipeline", scopes: ["*:read"] });
    // Keys with the list's Test and Restricted marks, whatever test runs first.
    await stack.admin("POST", `/accounts/${accountId}/keys`, { name: "Staging", mode: "test" });
    await stack.admin("POST", `/accounts/${accountId}/keys`, {
      name: "Newsletter",
      allowedSenderDomains: ["news.acme.test"],
    });
    browser = await launchChromium();
    context = await newContext();
    page = await context.newPage();
    await logIn();
    signedIn = await context.storageState();
    await context.close();
  }, 120_000);

  beforeEach(async () => {
    context = await newContext(signedIn);
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  });

  afterEach(async () => {
    await context?.close();
  });

  afterAll(async () => {
    await browser?.close();
  }, 30_000);

  it("logs in, creates a key that works, shows it once (a reload creates nothing), and deletes it for good", async () => {
    await context.clearCookies();
    await page.goto(url("/dashboard"));
    expect(new URL(page.url()).pathname).toBe("/dashboard/login");
    await page.getByRole("heading", { name: "Log in to your MoMail Dashboard" }).waitFor();
    await expectAccessible("login");
    await screenshot(page, "login");

    await page.getByLabel("Email").fill(EMAIL);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByText("Invalid email or password").waitFor();
    await expectAccessible("login, refused");

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
    await expectAccessible("api keys after a delete");
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
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press("Tab");
      order.push(
        await page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim() || ""),
      );
    }
    expect(order).toEqual([
      "access-domains",
      "access-messages",
      "mode-live",
      "allowedIps",
      "allowedSenderDomains",
      "Create key",
    ]);
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
    // A Custom choice that grants nothing comes back with the reason, and creates nothing.
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByText("Give the key read or read and write access").waitFor();
    await expectAccessible("create new key, refused");
    await page.getByLabel("domains", { exact: true }).selectOption("read");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByRole("heading", { name: "Your new API key" }).waitFor();
    const key = await page.getByLabel("API key", { exact: true }).inputValue();
    expect(await status(key)).toBe(200);
    expect(await status(key, "POST")).toBe(403);
  });

  it("creates a test key and a restricted key through the form and uses them; changes a key's restrictions on its page", async () => {
    await page.goto(url("/dashboard/settings/api-keys/new"));
    await page.getByLabel("Name").fill("CI sandbox");
    await page.getByLabel("Test", { exact: true }).check();
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByRole("heading", { name: "Your new API key" }).waitFor();
    const testKey = await page.getByLabel("API key", { exact: true }).inputValue();
    const sandboxed = await fetch(url("/v1/domains"), { headers: { "X-API-Key": testKey } });
    expect(sandboxed.status).toBe(200);
    const seen = (await sandboxed.json()) as { path: string; headers: Record<string, string>; signature: string };
    expect(seen).toMatchObject({ path: "/sandbox/v1/domains", signature: "ok" });
    expect(seen.headers["x-momail-mode"]).toBe("test");
    // The address the gateway sees this machine at (CF-Connecting-IP), as it told the sandbox.
    const clientIp = seen.headers["x-forwarded-for"] as string;
    expect(clientIp).toMatch(/^[0-9a-f.:]+$/);

    await page.goto(url("/dashboard/settings/api-keys/new"));
    await page.getByLabel("Name").fill("Transactional sender");
    await page.getByLabel("Allowed IP addresses").fill(`${clientIp}
10.0.0.300`);
    await page.getByLabel("Allowed sender domains").fill("acme.test");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByText("Line 2:").waitFor();
    await expectAccessible("create new key, a restriction refused");
    await page.getByLabel("Allowed IP addresses").fill(`${clientIp}
203.0.113.0/24`);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await screenshot(page, "create-key-restricted");
    await page.getByRole("button", { name: "Create key" }).click();
    await page.getByRole("heading", { name: "Your new API key" }).waitFor();
    const restricted = await page.getByLabel("API key", { exact: true }).inputValue();
    const email = (from: string) =>
      fetch(url("/v1/emails"), {
        method: "POST",
        headers: { "X-API-Key": restricted, "Content-Type": "application/json" },
        body: JSON.stringify({ from, to: "someone@example.com", subject: "Hello" }),
      });
    expect((await email("Acme <hello@mail.acme.test>")).status).toBe(202);
    const refused = await email("ceo@evil.test");
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { message: "This API key cannot send from this domain" } });
    expect(await status(restricted)).toBe(200);

    await page.goto(url("/dashboard/settings/api-keys"));
    expect(await row("CI sandbox").getByText("Test", { exact: true }).count()).toBe(1);
    expect(await row("Transactional sender").getByText("Restricted: IPs, senders").count()).toBe(1);
    await expectAccessible("api keys with test and restricted keys");

    await row("Transactional sender").getByRole("link", { name: "Restrictions" }).click();
    await page.getByRole("heading", { name: "Key restrictions" }).waitFor();
    await expectAccessible("key restrictions");
    await page.getByLabel("Allowed IP addresses").fill("203.0.113.7");
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await screenshot(page, "key-restrictions");
    await page.getByRole("button", { name: "Save restrictions" }).click();
    await page.waitForURL("**/dashboard/settings/api-keys?restricted=*");
    await page.getByText("They apply from its next request.").waitFor();
    await expectAccessible("api keys after restrictions saved");
    // The very next request, from this machine: no longer an allowed address.
    expect(await status(restricted)).toBe(403);
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

    // The rename form as a page of its own (for browsers without <details>).
    const keys = await stack.admin<Array<{ id: string; name: string }>>("GET", `/accounts/${accountId}/keys`);
    const renamed = keys.find((key) => key.name === "CI pipeline (GitHub Actions)") as { id: string };
    await page.goto(url(`/dashboard/settings/api-keys/${renamed.id}/rename`));
    await page.getByRole("heading", { name: "Rename API key" }).waitFor();
    await expectAccessible("rename page");
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

    // The old key, listed as rolled, cannot be rolled again: its roll page says until when it works.
    const keys = await stack.admin<Array<{ id: string; name: string; expiresAt: string | null }>>(
      "GET",
      `/accounts/${accountId}/keys`,
    );
    const old = keys.find((key) => key.name === "Webhook sender" && key.expiresAt) as { id: string };
    await page.goto(url(`/dashboard/settings/api-keys/${old.id}/roll`));
    await page.getByText("cannot be rolled again").waitFor();
    await expectAccessible("roll key, rolled already");

    const abrupt = await createKey("Leaked laptop key");
    await page.goto(url("/dashboard/settings/api-keys"));
    await row("Leaked laptop key").getByRole("link", { name: "Roll" }).click();
    await page.getByLabel("None: the old key stops working at once").check();
    await page.getByRole("button", { name: "Roll key" }).click();
    await page.getByText("has stopped working.").waitFor();
    await expectAccessible("key rolled, old key stopped");
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
    await page.getByRole("link", { name: "Show all keys" }).waitFor();
    await expectAccessible("filtered list");

    await page.goto(url("/dashboard/settings/api-keys"));
    await page.getByRole("link", { name: "Name and prefix", exact: true }).click();
    await page.waitForURL("**/dashboard/settings/api-keys?sort=name");
    const names = await page
      .locator("td.name")
      .evaluateAll((cells) => cells.map((cell) => cell.firstChild?.textContent ?? ""));
    expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, "en", { sensitivity: "base" })));
    await expectAccessible("sorted list");
  });

  it("shows a key's last use as soon as it has made a /v1 request", async () => {
    await page.goto(url("/dashboard/settings/api-keys"));
    const lastUsed = row("Billing worker").locator("td").nth(5);
    expect((await lastUsed.textContent())?.trim()).toBe("Never");
    const before = new Date();
    expect(await status(billingKey)).toBe(200);
    await page.reload();
    const month = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][
      before.getUTCMonth()
    ];
    const day = `${before.getUTCDate()} ${month} ${before.getUTCFullYear()}`;
    const shown = await lastUsed.locator("time").getAttribute("datetime");
    expect(await lastUsed.locator("time").textContent()).toBe(day);
    expect(Date.parse(shown ?? "")).toBeGreaterThanOrEqual(before.getTime() - 1_000);
    expect(Date.parse(shown ?? "")).toBeLessThanOrEqual(Date.now());
  });

  it("keeps a key its leak report revoked listed, marked and refused, until it is deleted", async () => {
    const leaked = await stack.admin<{ id: string; key: string }>("POST", `/accounts/${accountId}/keys`, {
      name: "Pasted in a gist",
    });
    expect(await status(leaked.key)).toBe(200);
    await stack.admin("POST", "/leaked-keys", { keys: [leaked.key], source: "e2e" });
    expect(await status(leaked.key)).toBe(401);
    await page.goto(url("/dashboard/settings/api-keys"));
    expect(await row("Pasted in a gist").getByText("Leaked — revoked", { exact: true }).count()).toBe(1);
    expect(await row("Pasted in a gist").getByRole("link", { name: "Roll" }).count()).toBe(0);
    expect(await row("Pasted in a gist").getByText("Rename").count()).toBe(0);
    expect(
      (await stack.admin<Array<{ id: string }>>("GET", `/accounts/${accountId}/keys`)).map((k) => k.id),
    ).not.toContain(leaked.id);
    await expectAccessible("api keys with a leaked key");
    await screenshot(page, "api-keys");

    await row("Pasted in a gist").getByRole("button", { name: "Delete" }).click();
    await page.getByText("revoked when its leak was reported").waitFor();
    await expectAccessible("delete confirmation of a leaked key");
    await page.getByRole("button", { name: "Yes, delete" }).click();
    await page.waitForURL("**/dashboard/settings/api-keys?deleted=*");
    expect(await row("Pasted in a gist").count()).toBe(0);
    await page.reload();
    expect(await page.getByText("Leaked — revoked").count()).toBe(0);
  });

  it("has Settings sections API Keys, Usage, Webhooks and Audit log", async () => {
    await page.goto(url("/dashboard/settings"));
    const nav = page.getByRole("navigation", { name: "Settings" });
    expect(await nav.getByRole("link").allInnerTexts()).toEqual(["API Keys", "Usage", "Webhooks", "Audit log"]);
  });

  it("sets a webhook to the demo origin's receiver, shows its secret once, and delivers a verified test event", async () => {
    await page.goto(url("/dashboard/settings"));
    await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Webhooks" }).click();
    await page.getByRole("heading", { name: "Webhooks", exact: true }).waitFor();
    await expectAccessible("webhooks, none set");

    // A URL the gateway refuses comes back with the reason next to the field.
    await page.getByLabel("Webhook URL").fill("http://example.com/hooks");
    await page.getByRole("button", { name: "Save URL" }).click();
    await page.getByText("The URL must be an https:// URL").waitFor();
    expect(await page.getByLabel("Webhook URL").getAttribute("aria-invalid")).toBe("true");
    await expectAccessible("webhooks, refused URL");

    const receiver = `${stack.originUrl}/webhooks`;
    await page.getByLabel("Webhook URL").fill(receiver);
    await page.getByRole("button", { name: "Save URL" }).click();
    await page.getByRole("heading", { name: "Your webhook signing secret" }).waitFor();
    const secret = await page.getByLabel("Signing secret").inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(page.url()).not.toContain(secret);
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByRole("button", { name: "Copied" }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await expectAccessible("webhook secret");
    await screenshot(page, "webhook-secret");
    await page.reload();
    await page.getByRole("heading", { name: "This secret was shown already" }).waitFor();
    expect(await page.content()).not.toContain(secret);
    await expectAccessible("webhook secret shown already");

    // The receiver checks every event's MoMail-Signature with the secret shown.
    await stack.setWebhookSecret(secret);
    await page.goto(url("/dashboard/settings/webhooks"));
    expect(await page.getByLabel("Webhook URL").inputValue()).toBe(receiver);
    await page.getByRole("button", { name: "Send test event" }).click();
    await page.getByText("is on its way").waitFor();
    await expectAccessible("webhooks, test event sent");
    const eventId = new URL(page.url()).searchParams.get("sent") as string;
    expect(eventId).toMatch(/^evt_/);
    const delivery = page.getByRole("row").filter({ hasText: eventId });
    for (let i = 0; i < 40 && (await delivery.getByText("Delivered").count()) === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      await page.getByRole("link", { name: "Refresh" }).click();
    }
    expect(await delivery.getByText("Delivered").count()).toBe(1);
    expect(await delivery.getByText("HTTP 200").count()).toBe(1);
    const inbox = (await (await fetch(receiver)).json()) as {
      data: Array<{ id: string; type: string; signature: string }>;
    };
    expect(inbox.data.find((event) => event.id === eventId)).toMatchObject({
      type: "webhook.test",
      signature: "verified",
    });
    await expectAccessible("webhooks with a delivery");
    await screenshot(page, "webhooks");

    // Remove webhook asks first; Cancel leaves it as it is.
    await page.getByRole("link", { name: "Remove webhook" }).click();
    await page.getByRole("heading", { name: "Remove the webhook?" }).waitFor();
    await expectAccessible("remove webhook confirmation");
    await page.getByRole("link", { name: "Cancel" }).click();
    await page.waitForURL("**/dashboard/settings/webhooks");
    expect(await page.getByLabel("Webhook URL").inputValue()).toBe(receiver);
  });

  it("charts the usage of a key after real traffic, and totals each key", async () => {
    const probe = await stack.admin<{ id: string; key: string; prefix: string }>(
      "POST",
      `/accounts/${accountId}/keys`,
      {
        name: "Usage probe",
        scopes: ["*:read"],
      },
    );
    for (let i = 0; i < 4; i++) expect(await status(probe.key)).toBe(200);
    for (let i = 0; i < 2; i++) expect(await status(probe.key, "POST")).toBe(403);

    await page.goto(url("/dashboard/settings/usage"));
    await page.getByRole("heading", { name: "Usage", exact: true }).waitFor();
    const chart = page.getByRole("img", { name: /^Requests per UTC day, all keys/ });
    expect(await chart.count()).toBe(1);
    const totals = page.getByRole("row").filter({ hasText: probe.prefix });
    expect(await totals.locator("td").allInnerTexts()).toEqual(["4", "0", "0", "2", "6"]);
    expect(await page.getByText(/units used this month/).count()).toBe(1);
    await expectAccessible("usage");
    await screenshot(page, "usage");

    await page.getByLabel("Show requests of").selectOption(probe.id);
    await page.getByRole("button", { name: "Show", exact: true }).click();
    await page.waitForURL(`**/dashboard/settings/usage?key=${probe.id}`);
    const description = await page.locator("svg.usage-chart desc").textContent();
    expect(description).toMatch(/^6 requests: 4 admitted, 2 forbidden, from /);
    await page.getByText("Show the numbers as a table").click();
    const today = page
      .getByRole("row")
      .filter({ has: page.locator(`time[datetime="${new Date().toISOString().slice(0, 10)}"]`) });
    expect(await today.locator("td").allInnerTexts()).toEqual(["4", "0", "0", "2", "6"]);
    await expectAccessible("usage of one key, numbers shown");

    const download = page.waitForEvent("download");
    await page.getByRole("link", { name: "Download CSV" }).click();
    const csv = await (await download).path();
    const { readFile } = await import("node:fs/promises");
    const lines = (await readFile(csv, "utf8")).trimEnd().split("\r\n");
    expect(lines[0]).toMatch(/^start,keyId,admitted,rateLimited,quotaExceeded,forbidden,/);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(1).every((line) => line.split(",")[1] === probe.id)).toBe(true);
  });

  it("shows the audit log of what the test did, newest first, page by page", async () => {
    // An account of its own, whose every write this test makes: 20 older entries by the operator
    // (a second page of 25), then the user's login, a key created and deleted and a webhook set
    // and removed (no event goes out), a leak report, and the operator's key last.
    const audited = await stack.admin<{ id: string }>("POST", "/accounts", { name: "Audited Mail" });
    for (let i = 1; i <= 20; i++) await stack.admin("PATCH", `/accounts/${audited.id}`, { name: "Audited Mail" });
    await stack.admin("POST", `/accounts/${audited.id}/users`, { email: AUDITED_EMAIL, password: PASSWORD });
    await context.clearCookies();
    await logIn(AUDITED_EMAIL);
    await createKey("Production server");
    await page.goto(url("/dashboard/settings/api-keys"));
    await row("Production server").getByRole("button", { name: "Delete" }).click();
    await page.getByRole("button", { name: "Yes, delete" }).click();
    await page.waitForURL("**/dashboard/settings/api-keys?deleted=*");
    await page.goto(url("/dashboard/settings/webhooks"));
    await page.getByLabel("Webhook URL").fill(`${stack.originUrl}/webhooks`);
    await page.getByRole("button", { name: "Save URL" }).click();
    await page.getByRole("heading", { name: "Your webhook signing secret" }).waitFor();
    await page.goto(url("/dashboard/settings/webhooks/remove"));
    await page.getByRole("button", { name: "Yes, remove" }).click();
    await page.waitForURL("**/dashboard/settings/webhooks?removed");
    const leaked = await stack.admin<{ key: string }>("POST", `/accounts/${audited.id}/keys`, { name: "In a gist" });
    await stack.admin("POST", "/leaked-keys", { keys: [leaked.key], source: "e2e" });
    await stack.admin("POST", `/accounts/${audited.id}/keys`, { name: "Usage probe", scopes: ["*:read"] });

    await page.goto(url("/dashboard/settings/audit-log"));
    await page.getByRole("heading", { name: "Audit log", exact: true }).waitFor();
    const rows = page.locator("tbody tr");
    expect(await rows.count()).toBe(25);
    await expectAccessible("audit log");
    await screenshot(page, "audit-log");

    // Cells as the reader sees them (innerText keeps a tab between cells).
    const entries = await rows.allInnerTexts();
    expect(entries[0]).toMatch(/MoMail operator \(admin API\)\s+Key created\s+Key\s+Usage probe/);

    // Older pages, until the last: every entry once, the oldest last.
    while ((await page.getByRole("link", { name: "Older entries" }).count()) > 0) {
      await page.getByRole("link", { name: "Older entries" }).click();
      await page.waitForURL("**/dashboard/settings/audit-log?cursor=*");
      await page.getByRole("link", { name: "Newest entries" }).waitFor();
      entries.push(...(await rows.allInnerTexts()));
    }
    expect(entries.length).toBe(
      (await stack.admin<unknown[]>("GET", `/accounts/${audited.id}/audit-log?limit=100`)).length,
    );
    expect(entries.at(-1)).toContain("Account created");
    const all = entries.join("\n");
    expect(all).toMatch(new RegExp(`${AUDITED_EMAIL}\\s+Logged in`));
    expect(all).toMatch(new RegExp(`${AUDITED_EMAIL}\\s+Key created\\s+Key\\s+Production server`));
    expect(all).toMatch(new RegExp(`${AUDITED_EMAIL}\\s+Key deleted\\s+Key\\s+Production server`));
    expect(all).toMatch(/System \(a leak report to MoMail\)\s+Key reported as leaked/);
    expect(all).toMatch(new RegExp(`${AUDITED_EMAIL}\\s+Account settings changed`));
    await expectAccessible("audit log, older entries");
  });

  it("answers an unknown page with an accessible error page, signed in and out, and logs out", async () => {
    // A session of its own to end: the other tests start in Alex's first one.
    await context.clearCookies();
    await logIn();
    await page.goto(url("/dashboard/settings/nothing-here"));
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    await expectAccessible("404 page");
    await page.goto(url("/dashboard/settings/api-keys"));
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByText("You have been logged out.").waitFor();
    await expectAccessible("login, logged out");
    await page.goto(url("/dashboard/settings/api-keys"));
    expect(new URL(page.url()).pathname).toBe("/dashboard/login");
    await page.goto(url("/dashboard/nothing-here"));
    await page.getByRole("heading", { name: "Page not found" }).waitFor();
    await expectAccessible("404 page, signed out");
  });
});
