/**
 * Rolling a key: a new key, shown once (as at creation), and the old key
 * kept for the chosen grace period (none, 1 hour, 24 hours or 7 days),
 * through the admin API's rotate. The page says when the old key stops
 * working; a key rolled already cannot be rolled again (the 409's message).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type Browser, liveKeyRows, routes, signedIn } from "../../support/dashboard";
import { call, createKey } from "../../support/helpers";

const KEY_PATTERN = /mk_[a-z0-9]{8}_[A-Za-z0-9]{24}/;

async function roll(browser: Browser, keyId: string, grace: string) {
  await browser.get(routes.rollKey.href({ keyId }));
  return browser.post(routes.rollKey.href({ keyId }), { grace });
}

describe("rolling a key", () => {
  it("offers the four grace periods as labelled radio buttons", async () => {
    const { account, browser } = await signedIn();
    const key = await createKey(account.id, { name: "Rollable" });
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toContain(`href="${routes.rollKey.href({ keyId: key.id })}"`);
    expect((await browser.get(routes.rollKey.href({ keyId: key.id }))).status).toBe(200);
    for (const [value, label] of [
      ["0", "None: the old key stops working at once"],
      ["3600", "1 hour"],
      ["86400", "24 hours"],
      ["604800", "7 days"],
    ]) {
      expect(browser.html).toContain(`<input type="radio" id="grace-${value}" name="grace" value="${value}"`);
      expect(browser.html).toContain(`<label for="grace-${value}">${label}</label>`);
    }
  });

  it("with a 1-hour grace: shows the new key once, both keys work, and the page says when the old one stops", async () => {
    const { account, browser } = await signedIn();
    const old = await createKey(account.id, { name: "Billing", scopes: ["*:read"] });
    const before = Date.now();
    const posted = await roll(browser, old.id, "3600");
    expect(posted.status).toBe(303);
    expect((await browser.follow(posted)).status).toBe(200);
    const fresh = KEY_PATTERN.exec(browser.html)?.[0] as string;
    expect(fresh).not.toBe(old.key);
    expect(browser.html).toContain("Your rolled API key");
    expect(browser.html).toMatch(
      new RegExp(`The old key <code class="prefix">${old.prefix}</code> keeps working until <strong>`),
    );
    expect((await call(fresh)).status).toBe(200);
    expect((await call(old.key)).status).toBe(200);

    const rows = await liveKeyRows(account.id);
    const oldRow = rows.find((row) => row.id === old.id);
    expect(oldRow?.expires_at).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(oldRow?.expires_at).toBeLessThanOrEqual(Date.now() + 3_600_000);
    expect(rows.find((row) => row.prefix === fresh.slice(3, 11))?.scopes).toBe('["*:read"]');
    // A reload shows the key no more and rolls nothing.
    expect((await browser.get(posted.headers.get("location") as string)).status).toBe(410);
    expect(await liveKeyRows(account.id)).toHaveLength(2);
  });

  it("with no grace: the old key gets 401 at once, and the page says it stopped", async () => {
    const { account, browser } = await signedIn();
    const old = await createKey(account.id, { name: "Leaky" });
    await browser.follow(await roll(browser, old.id, "0"));
    const fresh = KEY_PATTERN.exec(browser.html)?.[0] as string;
    expect(browser.html).toContain(`The old key <code class="prefix">${old.prefix}</code> has stopped working.`);
    expect((await call(old.key)).status).toBe(401);
    expect((await call(fresh)).status).toBe(200);
  });

  it("marks a rolled key on the list, and offers no second roll", async () => {
    const { account, browser } = await signedIn();
    const old = await createKey(account.id, { name: "Twice" });
    await browser.follow(await roll(browser, old.id, "86400"));
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toMatch(/Rolled: old key, works until \d+ [A-Z][a-z]{2} \d{4}, \d\d:\d\d UTC/);
    expect(browser.html).not.toContain(`href="${routes.rollKey.href({ keyId: old.id })}"`);
    await browser.get(routes.rollKey.href({ keyId: old.id }));
    expect(browser.html).toContain("cannot be rolled again");
    expect(browser.html).toContain("It keeps working until");
    expect(browser.html).not.toContain(">Roll key</button>");
  });

  it("shows the 409's message when a key rolled already is rolled again (an old tab), and rolls nothing", async () => {
    const { account, browser } = await signedIn();
    const old = await createKey(account.id, { name: "Stale tab" });
    await browser.get(routes.rollKey.href({ keyId: old.id }));
    expect((await browser.post(routes.rollKey.href({ keyId: old.id }), { grace: "3600" })).status).toBe(303);
    const again = await browser.post(routes.rollKey.href({ keyId: old.id }), { grace: "3600" });
    expect(again.status).toBe(409);
    expect(browser.html).toMatch(/This key was rotated out and expires at [0-9T:.-]+Z; it cannot be rotated again/);
    expect(browser.html).not.toMatch(KEY_PATTERN);
    expect(await liveKeyRows(account.id)).toHaveLength(2);
  });

  it.each(["", "5", "3600.5", "forever"])("refuses the grace period %j with 400, and rolls nothing", async (grace) => {
    const { account, browser } = await signedIn();
    const old = await createKey(account.id, { name: "Kept" });
    const response = await roll(browser, old.id, grace);
    expect(response.status).toBe(400);
    expect(browser.html).toContain("Choose how long the old key keeps working.");
    expect(await liveKeyRows(account.id)).toHaveLength(1);
    expect((await call(old.key)).status).toBe(200);
  });

  it("answers 404 for another account's key, and rolls nothing", async () => {
    const a = await signedIn();
    const b = await signedIn();
    const theirs = await createKey(b.account.id, { name: "B's key" });
    expect((await a.browser.get(routes.rollKey.href({ keyId: theirs.id }))).status).toBe(404);
    await a.browser.get(routes.apiKeys.href());
    expect((await a.browser.post(routes.rollKey.href({ keyId: theirs.id }), { grace: "0" })).status).toBe(404);
    expect(await liveKeyRows(b.account.id)).toHaveLength(1);
    expect((await call(theirs.key)).status).toBe(200);
  });

  it("refuses a roll without the session's form token", async () => {
    const { account, browser } = await signedIn();
    const old = await createKey(account.id, { name: "Guarded" });
    await browser.get(routes.rollKey.href({ keyId: old.id }));
    const response = await browser.post(routes.rollKey.href({ keyId: old.id }), { grace: "0", _csrf: "x" });
    expect(response.status).toBe(403);
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE account_id = ?")
      .bind(account.id)
      .first<{ n: number }>();
    expect(rows?.n).toBe(1);
  });
});
