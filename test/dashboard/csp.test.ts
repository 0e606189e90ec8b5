/**
 * Every dashboard response carries the strict Content-Security-Policy: the
 * pages, the redirects, and every error page (400, 403, 404, 405, 413, 429,
 * 503), signed in or not, for odd paths and methods too. Strict means: no
 * source but the page's own nonce for scripts and styles, nothing else
 * loadable, no framing, no <base>, forms only to the dashboard itself, and
 * no script or style in the page without that nonce.
 */
import { describe, expect, it } from "vitest";
import { countingEnv, d1Down } from "../support/counting-env";
import { accountWithUser, Browser, csrfTokenOf, DASHBOARD_BASE, routes, signedIn } from "../support/dashboard";
import { createKey } from "../support/helpers";
import { receiverUrl } from "../support/webhooks";

/** The CSP's directives, by name. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(";")
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0])
      .map(([name = "", ...values]) => [name, values]),
  );
}

/** Asserts the response's CSP is the strict one, and that the page obeys it. */
async function expectStrictCsp(label: string, response: Response) {
  const csp = response.headers.get("content-security-policy");
  expect(csp, `${label}: no CSP`).toBeTruthy();
  const policy = directives(csp as string);
  const nonce = /^'nonce-([A-Za-z0-9+/=_-]{16,})'$/.exec(policy.get("script-src")?.[0] ?? "")?.[1];
  expect(nonce, `${label}: script-src is not a lone nonce (${csp})`).toBeTruthy();
  expect(policy.get("script-src"), label).toEqual([`'nonce-${nonce}'`]);
  expect(policy.get("style-src"), label).toEqual([`'nonce-${nonce}'`]);
  expect(policy.get("default-src"), label).toEqual(["'none'"]);
  expect(policy.get("frame-ancestors"), label).toEqual(["'none'"]);
  expect(policy.get("base-uri"), label).toEqual(["'none'"]);
  expect(policy.get("form-action"), label).toEqual(["'self'"]);
  expect(csp, label).not.toMatch(/unsafe-|https?:|\*/);
  expect(response.headers.get("x-frame-options"), label).toBe("DENY");

  const html = await response.clone().text();
  for (const tag of html.match(/<(script|style)\b[^>]*>/g) ?? []) {
    expect(tag, `${label}: a ${tag} without the nonce`).toContain(`nonce="${nonce}"`);
  }
  expect(html, `${label}: an inline event handler`).not.toMatch(/\son[a-z]+=/i);
  expect(html, `${label}: a style attribute`).not.toMatch(/\sstyle=/i);
}

const form = (fields: Record<string, string>) => ({
  method: "POST",
  headers: { Origin: "http://localhost", "Content-Type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams(fields).toString(),
});

describe("the dashboard's Content-Security-Policy", () => {
  it("is on every page a signed-out visitor can reach, errors and redirects included", async () => {
    const { email } = await accountWithUser();
    const browser = new Browser();
    const seen: Array<[string, number, Response]> = [];
    const visit = async (label: string, status: number, response: Promise<Response>) => {
      const answer = await response;
      expect(answer.status, label).toBe(status);
      seen.push([label, status, answer]);
    };

    await visit("GET /dashboard", 303, browser.get(routes.root.href()));
    await visit("GET /dashboard/", 404, browser.get(`${DASHBOARD_BASE}/`));
    await visit("HEAD /dashboard/login", 200, browser.fetch(routes.login.href(), { method: "HEAD" }));
    await visit("GET /dashboard/login", 200, browser.get(routes.login.href()));
    await visit("empty login", 400, browser.post(routes.login.href(), { email: "", password: "" }));
    await visit("wrong password", 401, browser.post(routes.login.href(), { email, password: "wrong password" }));
    await visit("no CSRF token", 403, browser.fetch(routes.login.href(), form({ email, password: "x" })));
    await visit("another site's form", 403, browser.fetch(routes.login.href(), { ...form({}), headers: {} }));
    await visit("unknown page", 404, browser.get(`${DASHBOARD_BASE}/nothing-here`));
    await visit("encoded junk", 404, browser.get(`${DASHBOARD_BASE}/%ZZ%00`));
    await visit("double slash", 404, browser.get(`${DASHBOARD_BASE}/${routes.settings.pattern}`));
    await visit("signed-out settings", 303, browser.get(routes.apiKeys.href()));
    await visit(
      "DELETE /dashboard/login",
      405,
      browser.fetch(routes.login.href(), { method: "DELETE", headers: { Origin: "http://localhost" } }),
    );
    await visit(
      "PUT /dashboard",
      405,
      browser.fetch(routes.root.href(), { method: "PUT", headers: { Origin: "http://localhost" } }),
    );
    await visit(
      "oversized form",
      413,
      browser.post(routes.login.href(), { email, password: "x".repeat(20_000) }, { "Content-Length": "20100" }),
    );
    const throttled = new Browser();
    for (let i = 0; i < 5; i++) {
      await throttled.get(routes.login.href());
      await throttled.post(routes.login.href(), { email, password: `guess ${i}` });
    }
    await throttled.get(routes.login.href());
    await visit("throttled login", 429, throttled.post(routes.login.href(), { email, password: "guess" }));

    for (const [label, , response] of seen) await expectStrictCsp(label, response);
  });

  it("is on every page of a signed-in user, errors included", async () => {
    const { account, browser } = await signedIn();
    const key = await createKey(account.id);
    await browser.get(routes.newKey.href());
    const shownAgain = (await browser.post(routes.apiKeys.href(), { name: "Once" })).headers.get("location") as string;
    await browser.get(shownAgain);
    await browser.get(routes.webhooks.href());
    const refusedTest = await browser.post(routes.webhookTest.href());
    expect(refusedTest.status).toBe(409);
    await expectStrictCsp("test event without a URL", refusedTest);
    const secretShownAgain = (await browser.post(routes.webhooks.href(), { url: receiverUrl().url })).headers.get(
      "location",
    ) as string;
    await browser.get(secretShownAgain);
    const pages: Array<[string, number, () => Promise<Response>]> = [
      ["settings", 200, () => browser.get(routes.settings.href())],
      ["api keys", 200, () => browser.get(routes.apiKeys.href())],
      ["new key form", 200, () => browser.get(routes.newKey.href())],
      ["refused new key", 400, () => browser.post(routes.apiKeys.href(), { name: "" })],
      ["new key created", 303, () => browser.post(routes.apiKeys.href(), { name: "CSP" })],
      ["new key shown", 200, async () => browser.follow(await browser.post(routes.apiKeys.href(), { name: "Shown" }))],
      ["new key shown again", 410, () => browser.get(shownAgain)],
      ["rename form", 200, () => browser.get(routes.renameKey.href({ keyId: key.id }))],
      ["refused rename", 400, () => browser.post(routes.renameKey.href({ keyId: key.id }), { name: " " })],
      ["roll form", 200, () => browser.get(routes.rollKey.href({ keyId: key.id }))],
      ["refused roll", 400, () => browser.post(routes.rollKey.href({ keyId: key.id }), { grace: "5" })],
      [
        "sorted and filtered list",
        200,
        () => browser.get(routes.apiKeys.href({ sort: "name", status: "unused", q: "x" })),
      ],
      ["delete confirmation", 200, () => browser.get(routes.deleteKey.href({ keyId: key.id }))],
      ["unknown key", 404, () => browser.get(routes.deleteKey.href({ keyId: "key_AAAAAAAAAAAAAAAAAAAA" }))],
      ["unknown settings page", 404, () => browser.get(`${routes.settings.href()}/nothing`)],
      ["wrong form token", 403, () => browser.post(routes.apiKeys.href(), { _csrf: "x", name: "x" })],
      ["PATCH without a form token", 403, () => browser.fetch(routes.apiKeys.href(), { method: "PATCH" })],
      ["usage", 200, () => browser.get(routes.usage.href())],
      ["usage of one key", 200, () => browser.get(routes.usage.href({ key: key.id }))],
      ["audit log", 200, () => browser.get(routes.auditLog.href())],
      ["audit log, bad cursor", 400, () => browser.get(routes.auditLog.href({ cursor: "nope" }))],
      ["webhooks", 200, () => browser.get(routes.webhooks.href())],
      ["refused webhook URL", 400, () => browser.post(routes.webhooks.href(), { url: "https://10.0.0.1/" })],
      [
        "webhook secret shown",
        200,
        async () => browser.follow(await browser.post(routes.webhooks.href(), { url: receiverUrl().url })),
      ],
      ["webhook secret shown again", 410, () => browser.get(secretShownAgain)],
      ["remove webhook confirmation", 200, () => browser.get(routes.removeWebhook.href())],
    ];
    for (const [label, status, open] of pages) {
      await browser.get(routes.newKey.href()); // a fresh form token for the posts
      const response = await open();
      expect(response.status, label).toBe(status);
      await expectStrictCsp(label, response);
    }
  });

  it("is on the 503 page when storage fails", async () => {
    const browser = new Browser();
    await browser.get(routes.login.href());
    const token = csrfTokenOf(browser.html) ?? "";
    const cookie = [...browser.cookies].map(([name, c]) => `${name}=${c.value}`).join("; ");
    const response = await countingEnv({}, { d1: d1Down }).fetch(routes.login.href(), {
      method: "POST",
      headers: { Cookie: cookie, Origin: "http://localhost", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: token, email: "someone@acme.test", password: "whatever it is" }).toString(),
    });
    expect(response.status).toBe(503);
    await expectStrictCsp("storage down", response);
  });
});
