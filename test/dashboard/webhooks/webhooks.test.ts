/**
 * Settings > Webhooks: set, change and remove the account's webhook URL
 * (the operations' rules refuse a URL with the reason next to the field),
 * see the new signing secret once after a redirect (never in a URL), send a
 * test event, and see the recent deliveries with their status, failed ones
 * marked. The queues record what is sent, so each test runs the consumer.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { verifyWebhook } from "../../../src/verify/webhook";
import { auditCount, auditLogOf } from "../../support/audit";
import { countingEnv } from "../../support/counting-env";
import { accountWithUser, Browser, literally, routes } from "../../support/dashboard";
import { consume, received, receiverUrl, recordingQueue } from "../../support/webhooks";

/** A signed-in browser whose gateway's queues only record (overrides: more bindings). */
async function signedInWithQueues(overrides: Record<string, unknown> = {}) {
  const webhooks = recordingQueue();
  const gw = countingEnv({ WEBHOOKS: webhooks.queue, WEBHOOK_DEAD_LETTERS: recordingQueue().queue, ...overrides });
  const user = await accountWithUser();
  const browser = new Browser(undefined, gw.fetch);
  await browser.login(user.email, user.password);
  return { ...user, browser, gw, webhooks };
}

/** Saves `url` on the page and answers the POST's response. */
async function saveUrl(browser: Browser, url: string) {
  await browser.get(routes.webhooks.href());
  return browser.post(routes.webhooks.href(), { url });
}

/** Saves `url` and reads the secret shown once. */
async function saveAndReveal(browser: Browser, url: string) {
  await browser.follow(await saveUrl(browser, url));
  const secret = /id="webhook-secret" type="text" readonly="" value="(whsec_[A-Za-z0-9+/]{43}=)"/.exec(
    browser.html,
  )?.[1];
  if (!secret) throw new Error(`no secret shown: ${browser.html.slice(0, 300)}`);
  return secret;
}

const accountRow = (id: string) =>
  env.DB.prepare("SELECT webhook_url, webhook_secret FROM accounts WHERE id = ?")
    .bind(id)
    .first<{ webhook_url: string | null; webhook_secret: string | null }>();

describe("Settings > Webhooks", () => {
  it("saves a URL and shows its new signing secret once, after a redirect, never in a URL", async () => {
    const { account, email, browser } = await signedInWithQueues();
    const receiver = receiverUrl();
    const response = await saveUrl(browser, receiver.url);
    expect(response.status).toBe(303);
    const location = response.headers.get("location") as string;
    expect(location).toMatch(
      new RegExp(`^${literally(routes.webhookSecret.href({ revealId: "" }))}[A-Za-z0-9_-]{43}$`),
    );

    // A key's reveal page does not take a secret's reveal.
    const revealId = location.split("/").at(-1) as string;
    expect((await browser.get(routes.keyShown.href({ revealId }))).status).toBe(410);

    const shown = await browser.get(location);
    expect(shown.status).toBe(200);
    const secret = /value="(whsec_[A-Za-z0-9+/]{43}=)"/.exec(browser.html)?.[1] as string;
    expect(secret).toBeDefined();
    expect(browser.html).toContain("Copy your signing secret now.");
    expect(browser.html).toContain(receiver.url);
    expect(location).not.toContain(secret);

    const again = await browser.get(location);
    expect(again.status).toBe(410);
    expect(browser.html).toContain("This secret was shown already");
    expect(browser.html).not.toContain(secret);

    const row = await accountRow(account.id);
    expect(row?.webhook_url).toBe(receiver.url);
    expect(row?.webhook_secret).not.toContain(secret);
    const reveals = await env.DB.prepare("SELECT count(*) AS n FROM key_reveals WHERE kind = 'webhook_secret'").first<{
      n: number;
    }>();
    expect(reveals?.n).toBe(0);
    const [entry] = await auditLogOf(account.id);
    expect(entry).toMatchObject({ action: "account.updated", actor: { type: "user", email }, ip: browser.ip });

    await browser.get(routes.webhooks.href());
    expect(browser.html).toContain(`value="${receiver.url}"`);
    expect(browser.html).not.toContain(secret);
  });

  it.each([
    ["https://10.0.0.1/hook", "The URL must not point to a private, loopback or reserved address."],
    [
      "ftp://example.com/hook",
      "The URL must be an https:// URL (or http://localhost, http://127.0.0.1 in development).",
    ],
    ["https://intranet/hook", "The URL must name a public host."],
    ["   ", "Enter the URL to send events to."],
  ])("refuses %j with the reason next to the field, and changes nothing", async (url, reason) => {
    const { account, browser } = await signedInWithQueues();
    const before = await auditCount(account.id);
    const response = await saveUrl(browser, url);
    expect(response.status).toBe(400);
    expect(browser.html).toContain(`<p class="field-error" id="url-error">${reason}</p>`);
    expect(browser.html).toMatch(
      /<input id="url" name="url" type="url"[^>]* aria-invalid="true" aria-describedby="url-error url-hint"/,
    );
    expect(browser.html).toContain(`value="${url.trim()}"`);
    expect(await auditCount(account.id)).toBe(before);
    expect((await accountRow(account.id))?.webhook_url).toBeNull();
  });

  it("sends a test event, signed with the secret shown, and lists its delivery", async () => {
    const { account, browser, gw, webhooks } = await signedInWithQueues();
    const receiver = receiverUrl();
    const secret = await saveAndReveal(browser, receiver.url);
    const before = await auditCount(account.id);

    await browser.get(routes.webhooks.href());
    const sent = await browser.post(routes.webhookTest.href());
    expect(sent.status).toBe(303);
    const eventId = /\?sent=(evt_[A-Za-z0-9]{20})$/.exec(sent.headers.get("location") ?? "")?.[1] as string;
    expect(webhooks.bodies).toEqual([{ eventId }]);
    await browser.follow(sent);
    expect(browser.html).toContain(`A test event (<code>${eventId}</code>) is on its way.`);
    expect(browser.html).toMatch(
      new RegExp(`<code>webhook.test</code><div class="muted small">${eventId}</div>[\\s\\S]*?>Pending<`),
    );

    await consume(gw.env, eventId, 1);
    const [hook] = await received(receiver.name);
    expect(JSON.parse(hook?.body ?? "{}")).toMatchObject({ id: eventId, type: "webhook.test", accountId: account.id });
    const check = await verifyWebhook(hook?.body ?? "", hook?.headers["momail-signature"] as string, { secret });
    expect(check).toMatchObject({ ok: true });

    await browser.get(routes.webhooks.href());
    expect(browser.html).toMatch(new RegExp(`${eventId}</div>[\\s\\S]*?badge-ok">Delivered<[\\s\\S]*?HTTP 200`));
    // Sending a test event changes nothing of the account: no audit entry.
    expect(await auditCount(account.id)).toBe(before);
  });

  it("marks a delivery that failed for good", async () => {
    const { browser, gw } = await signedInWithQueues({ WEBHOOK_MAX_ATTEMPTS: "1" });
    await saveAndReveal(browser, receiverUrl("fail=99&status=503").url);
    await browser.get(routes.webhooks.href());
    const sent = await browser.post(routes.webhookTest.href());
    const eventId = /\?sent=(evt_[A-Za-z0-9]{20})$/.exec(sent.headers.get("location") ?? "")?.[1] as string;
    await consume(gw.env, eventId, 1);

    await browser.get(routes.webhooks.href());
    expect(browser.html).toMatch(
      new RegExp(`<tr class="flagged"><td><code>webhook.test</code><div class="muted small">${eventId}</div>`),
    );
    expect(browser.html).toMatch(/badge-danger">Failed<\/span><\/td><td class="num">1<\/td><td><span>HTTP 503<\/span>/);
  });

  it("refuses a test event without a URL, with the 409's message", async () => {
    const { browser, webhooks } = await signedInWithQueues();
    await browser.get(routes.webhooks.href());
    expect(browser.html).not.toContain("Send test event");
    const response = await browser.post(routes.webhookTest.href());
    expect(response.status).toBe(409);
    expect(browser.html).toContain("This account has no webhook URL: set one first");
    expect(webhooks.bodies).toEqual([]);
  });

  it("removes the webhook after a confirmation, with one audit entry", async () => {
    const { account, browser } = await signedInWithQueues();
    await saveAndReveal(browser, receiverUrl().url);
    const before = await auditCount(account.id);

    expect((await browser.get(routes.removeWebhook.href())).status).toBe(200);
    expect(browser.html).toContain("Remove the webhook?");
    const response = await browser.post(routes.removeWebhook.href());
    expect(response.status).toBe(303);
    expect(response.headers.get("location")).toBe(routes.webhooks.href({ removed: true }));
    expect(await accountRow(account.id)).toEqual({ webhook_url: null, webhook_secret: null });
    expect(await auditCount(account.id)).toBe(before + 1);

    await browser.follow(response);
    expect(browser.html).toContain("The webhook was removed");
    expect(browser.html).toContain(">Save URL<");
    // Nothing left to remove: the confirmation leads back, and a stale post changes nothing.
    expect((await browser.get(routes.removeWebhook.href())).status).toBe(303);
    await browser.get(routes.webhooks.href());
    await browser.post(routes.removeWebhook.href());
    expect(await auditCount(account.id)).toBe(before + 1);
  });
});
