/**
 * What every dashboard page shares: HTML error pages (404, 405, 413, a 400
 * for a malformed form) rather than the API's JSON envelope, the signed-in
 * navigation kept on them, and the nonce CSP, framing and no-store headers;
 * the API's own errors stay JSON.
 */
import { describe, expect, it } from "vitest";
import { Browser, DASHBOARD_BASE, routes, signedIn } from "../support/dashboard";
import { accountWithKey, call, errorOf, gateway } from "../support/helpers";

describe("dashboard pages", () => {
  it("answer an unknown page with a 404 HTML page, not the API's JSON envelope", async () => {
    const browser = new Browser();
    const response = await browser.get(`${DASHBOARD_BASE}/nothing-here`);
    expect(response.status).toBe(404);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(browser.html).toContain("Page not found");
    expect(browser.html).toContain(`href="${routes.login.href()}"`);
  });

  it("answer a wrong method with a 405 HTML page and Allow", async () => {
    const browser = new Browser();
    const response = await browser.fetch(routes.login.href(), {
      method: "DELETE",
      headers: { Origin: "http://localhost" },
    });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD, POST");
    expect(browser.html).toContain("Method not allowed");
  });

  it("keep the signed-in navigation on error pages", async () => {
    const { browser } = await signedIn();
    expect((await browser.get(`${routes.settings.href()}/nothing`)).status).toBe(404);
    expect(browser.html).toContain(">Log out</button>");
    expect(browser.html).toContain("Back to API Keys");
  });

  it("carry a nonce CSP that allows only the page's own style and script, no framing, and no-store", async () => {
    const { browser } = await signedIn();
    await browser.get(routes.newKey.href());
    const response = await browser.follow(await browser.post(routes.apiKeys.href(), { name: "CSP" }));
    const csp = response.headers.get("content-security-policy") ?? "";
    const nonce = /script-src 'nonce-([^']+)'/.exec(csp)?.[1] as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`style-src 'nonce-${nonce}'`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(browser.html).toContain(`<style nonce="${nonce}">`);
    expect(browser.html).toContain(`<script nonce="${nonce}">`);
    expect(browser.html).not.toMatch(/ on[a-z]+="/);
    expect(browser.html).not.toMatch(/ style="/);
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(response.headers.get("cache-control")).toBe("no-store");
  });

  it("refuse a form body over 16 KiB with a 413 page", async () => {
    const { browser } = await signedIn();
    await browser.get(routes.newKey.href());
    const response = await browser.post(routes.apiKeys.href(), { name: "x".repeat(20_000) });
    expect(response.status).toBe(413);
    expect(browser.html).toContain("Too much data");
  });

  it("treat a file where text was expected as a validation error, not a 500", async () => {
    const { browser } = await signedIn();
    await browser.get(routes.newKey.href());
    const token = /name="_csrf" value="([^"]*)"/.exec(browser.html)?.[1] as string;
    const form = new FormData();
    form.set("_csrf", token);
    form.set("name", new File(["hello"], "name.txt"));
    const response = await browser.fetch(routes.apiKeys.href(), {
      method: "POST",
      headers: { Origin: "http://localhost" },
      body: form,
    });
    expect(response.status).toBe(400);
    expect(browser.html).toContain("Enter a name for the key.");
  });

  it("leave the API's errors as the JSON envelope", async () => {
    const { key } = await accountWithKey();
    expect((await call(key.key, "/v1/domains")).status).toBe(200);
    const response = await gateway("/admin/accounts");
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect((await errorOf(response)).code).toBe("UNAUTHORIZED");
  });
});

describe("malformed form bodies", () => {
  it.each([
    ["a broken multipart body", "multipart/form-data; boundary=nope", "--other\r\ngarbage"],
    ["a multipart type without a boundary", "multipart/form-data", "name=x"],
  ])("answer %s with a 400 page, not a 500", async (_, type, body) => {
    const { browser } = await signedIn();
    for (const path of [routes.apiKeys.href(), routes.login.href()]) {
      const response = await browser.fetch(path, {
        method: "POST",
        headers: { Origin: "http://localhost", "Content-Type": type },
        body,
      });
      expect(response.status).toBe(400);
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    }
  });
});
