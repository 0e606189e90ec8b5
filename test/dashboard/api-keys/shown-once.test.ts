/**
 * A new key is shown once, after a redirect (Post/Redirect/Get): reloading
 * the page creates no second key and does not show the key again; only the
 * session that created it can see it, within 10 minutes; D1 never holds the
 * plain key, only a ciphertext that the session's cookie is needed to open.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Browser, liveKeyRows, routes, signedIn } from "../../support/dashboard";
import { call } from "../../support/helpers";

const KEY_PATTERN = /mk_[a-z0-9]{8}_[A-Za-z0-9]{24}/;

async function createInDashboard(browser: Browser, name = "Shown once") {
  await browser.get(routes.newKey.href());
  const posted = await browser.post(routes.apiKeys.href(), { name });
  expect(posted.status).toBe(303);
  return posted.headers.get("location") as string;
}

describe("the page that shows a new key", () => {
  it("shows the key on the first view only; a reload creates no key and says it was shown already", async () => {
    const { account, browser } = await signedIn();
    const shown = await createInDashboard(browser);
    expect((await browser.get(shown)).status).toBe(200);
    const key = KEY_PATTERN.exec(browser.html)?.[0] as string;
    expect((await call(key)).status).toBe(200);

    const reload = await browser.get(shown);
    expect(reload.status).toBe(410);
    expect(browser.html).toContain("This key was shown already");
    expect(browser.html).not.toMatch(KEY_PATTERN);
    expect(await liveKeyRows(account.id)).toHaveLength(1);
  });

  it("holds only a ciphertext in D1, not the key, and deletes it on the first view", async () => {
    const { browser } = await signedIn();
    const shown = await createInDashboard(browser);
    const held = await env.DB.prepare("SELECT * FROM key_reveals WHERE id = ?")
      .bind(shown.split("/").at(-1))
      .first<Record<string, unknown>>();
    expect(held).not.toBeNull();
    await browser.get(shown);
    const key = KEY_PATTERN.exec(browser.html)?.[0] as string;
    const secret = key.slice(12);
    for (const value of Object.values(held ?? {})) expect(String(value)).not.toContain(secret);
    expect(String(held?.sealed)).not.toContain(key.slice(3, 11));
    const left = await env.DB.prepare("SELECT count(*) AS n FROM key_reveals WHERE id = ?")
      .bind(shown.split("/").at(-1))
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });

  it("shows nothing to another session, not even of the same user, and leaves it for the right one", async () => {
    const { browser, email, password } = await signedIn();
    const shown = await createInDashboard(browser);
    const other = new Browser();
    await other.login(email, password);
    expect((await other.get(shown)).status).toBe(410);
    expect(other.html).not.toMatch(KEY_PATTERN);
    expect((await browser.get(shown)).status).toBe(200);
    expect(browser.html).toMatch(KEY_PATTERN);
  });

  it("cannot be opened with a stolen row and another session's cookie: the ciphertext needs its own session", async () => {
    const { browser } = await signedIn();
    const shown = await createInDashboard(browser);
    const thief = await signedIn();
    const session = await env.DB.prepare(
      "SELECT s.id FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = ? ORDER BY s.created_at DESC LIMIT 1",
    )
      .bind(thief.email)
      .first<{ id: string }>();
    await env.DB.prepare("UPDATE key_reveals SET session_id = ? WHERE id = ?")
      .bind(session?.id, shown.split("/").at(-1))
      .run();
    expect((await thief.browser.get(shown)).status).toBe(410);
    expect(thief.browser.html).not.toMatch(KEY_PATTERN);
  });

  it("expires 10 minutes after it was made", async () => {
    const { browser } = await signedIn();
    const shown = await createInDashboard(browser);
    await env.DB.prepare("UPDATE key_reveals SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, shown.split("/").at(-1))
      .run();
    expect((await browser.get(shown)).status).toBe(410);
    expect(browser.html).not.toMatch(KEY_PATTERN);
  });

  it("goes with its session: after logging out, nothing of it is left", async () => {
    const { browser } = await signedIn();
    const shown = await createInDashboard(browser);
    await browser.get(routes.settings.href());
    expect((await browser.post(routes.logout.href())).status).toBe(303);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM key_reveals WHERE id = ?")
      .bind(shown.split("/").at(-1))
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });

  it("is not used up by a HEAD request", async () => {
    const { browser } = await signedIn();
    const shown = await createInDashboard(browser);
    expect((await browser.fetch(shown, { method: "HEAD" })).status).toBe(200);
    expect((await browser.get(shown)).status).toBe(200);
    expect(browser.html).toMatch(KEY_PATTERN);
  });

  it("answers a malformed id with the same page, after no key lookup", async () => {
    const { browser } = await signedIn();
    expect((await browser.get(routes.keyShown.href({ revealId: "';--" }))).status).toBe(410);
  });
});
