/**
 * A key's mode and restrictions on the dashboard (CONTRACT §5, §8): Create
 * New Key offers Mode (Live by default, or Test) and the allowed IP addresses
 * and sender domains, one per line, refused with the admin API's rules in the
 * dashboard's words (naming the line); the list marks test and restricted
 * keys and filters them; a key's Restrictions page changes them, from its
 * next request on, with one `key.updated` audit entry per change; and each
 * key only for its own account.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { routes, signedIn } from "../../support/dashboard";
import { admin, call, createKey, dataOf } from "../../support/helpers";

const KEY_PATTERN = /mk_[a-z0-9]{8}_[A-Za-z0-9]{24}/;

const rowOf = (id: string) =>
  env.DB.prepare("SELECT mode, allowed_ips, allowed_sender_domains FROM api_keys WHERE id = ?")
    .bind(id)
    .first<{ mode: string; allowed_ips: string | null; allowed_sender_domains: string | null }>();

/** Creates a key through the form; answers the key shown and its id. */
type SignedInBrowser = Awaited<ReturnType<typeof signedIn>>["browser"];

/** Posts a form that must be refused: a 400 showing each of `messages` (as HTML escapes them). */
async function expectRefused(
  browser: SignedInBrowser,
  path: string,
  fields: Record<string, string>,
  messages: string[],
) {
  const response = await browser.post(path, fields);
  expect(response.status).toBe(400);
  for (const message of messages) expect(browser.html).toContain(message.replaceAll('"', "&quot;"));
}

async function createThroughForm(browser: SignedInBrowser, fields: Record<string, string>) {
  await browser.get(routes.newKey.href());
  const posted = await browser.post(routes.apiKeys.href(), { name: "Restricted", ...fields });
  expect(posted.status, browser.html.slice(0, 300)).toBe(303);
  await browser.follow(posted);
  const key = KEY_PATTERN.exec(browser.html)?.[0] as string;
  return key;
}

describe("Create New Key's mode and restrictions", () => {
  it("offers Mode (Live checked) and the two lists, labelled and optional", async () => {
    const { browser } = await signedIn();
    await browser.get(routes.newKey.href());
    expect(browser.html).toContain("<legend>Mode</legend>");
    expect(browser.html).toMatch(/<input type="radio" id="mode-live" name="mode" value="live" checked=""/);
    expect(browser.html).toContain('<label for="mode-test">Test</label>');
    expect(browser.html).toMatch(/<label for="allowedIps">Allowed IP addresses <span class="optional">/);
    expect(browser.html).toMatch(/<textarea id="allowedIps" name="allowedIps"/);
    expect(browser.html).toMatch(/<label for="allowedSenderDomains">Allowed sender domains <span class="optional">/);
  });

  it("creates a test key, restricted, stored as the admin API stores it, and it works within its restrictions", async () => {
    const { account, browser } = await signedIn();
    const key = await createThroughForm(browser, {
      mode: "test",
      allowedIps: " 203.0.113.7 \r\n\r\n2001:DB8::/32\r\n",
      allowedSenderDomains: "Acme.test\nbücher.example",
    });
    const [listed] = await dataOf<Array<Record<string, unknown>>>(await admin("GET", `/accounts/${account.id}/keys`));
    expect(listed).toMatchObject({
      mode: "test",
      allowedIps: ["203.0.113.7", "2001:db8::/32"],
      allowedSenderDomains: ["acme.test", "xn--bcher-kva.example"],
    });
    const from = (ip: string) => call(key, "/v1/domains", { headers: { "CF-Connecting-IP": ip } });
    expect((await from("203.0.113.7")).status).toBe(200);
    expect((await from("10.0.0.1")).status).toBe(403);
  });

  it("creates a live, unrestricted key when the fields are left as they are", async () => {
    const { account, browser } = await signedIn();
    await createThroughForm(browser, {});
    const [listed] = await dataOf<Array<Record<string, unknown>>>(await admin("GET", `/accounts/${account.id}/keys`));
    expect(listed).toMatchObject({ mode: "live", allowedIps: null, allowedSenderDomains: null });
  });

  it("refuses a bad entry with the line at fault, keeps what was typed, and creates nothing", async () => {
    const { account, browser } = await signedIn();
    await browser.get(routes.newKey.href());
    const fields = { name: "Bad lists", mode: "test", allowedIps: "203.0.113.7\n\n10.0.0.300" };
    await expectRefused(browser, routes.apiKeys.href(), { ...fields, allowedSenderDomains: "*.acme.test" }, [
      'Line 3: "10.0.0.300" is not an IP address or a range, such as 203.0.113.7 or 203.0.113.0/24.',
      "Enter acme.test rather than *.acme.test: a domain allows its subdomains too.",
    ]);
    expect(browser.html).toMatch(/<textarea id="allowedIps" name="allowedIps"[^>]*aria-invalid="true"/);
    expect(browser.html).toContain("203.0.113.7\n\n10.0.0.300</textarea>");
    expect(browser.html).toMatch(/<input type="radio" id="mode-test" name="mode" value="test" checked=""/);
    const many = Array.from({ length: 21 }, (_, i) => `d${i}.acme.test`).join("\n");
    await browser.post(routes.apiKeys.href(), { name: "Too many", allowedSenderDomains: many });
    expect(browser.html).toContain("Enter at most 20 domains.");
    await browser.post(routes.apiKeys.href(), { name: "Bad mode", mode: "sandbox" });
    expect(browser.html).toContain("Choose Live or Test.");
    expect(await dataOf<unknown[]>(await admin("GET", `/accounts/${account.id}/keys`))).toEqual([]);
  });
});

describe("the list", () => {
  it("marks test keys and restricted keys, and filters them", async () => {
    const { account, browser } = await signedIn();
    await createKey(account.id, { name: "Sandbox", mode: "test" });
    await createKey(account.id, { name: "Office only", allowedIps: ["203.0.113.0/24"] });
    await createKey(account.id, { name: "Both", allowedIps: ["203.0.113.7"], allowedSenderDomains: ["acme.test"] });
    await createKey(account.id, { name: "Plain" });
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toMatch(/<span class="badge badge-test"[^>]*>Test<\/span>/);
    expect(browser.html).toContain('<span class="badge badge-info">Restricted: IPs</span>');
    expect(browser.html).toContain('<span class="badge badge-info">Restricted: IPs, senders</span>');
    await browser.get(routes.apiKeys.href({ status: "test" }));
    expect([...browser.html.matchAll(/<span class="key-name">([^<]*)</g)].map((m) => m[1])).toEqual(["Sandbox"]);
    await browser.get(routes.apiKeys.href({ status: "restricted" }));
    expect([...browser.html.matchAll(/<span class="key-name">([^<]*)</g)].map((m) => m[1]).sort()).toEqual([
      "Both",
      "Office only",
    ]);
  });
});

describe("a key's Restrictions page", () => {
  it("shows the key's lists, saves new ones for its next request, and writes one key.updated entry", async () => {
    const { account, browser } = await signedIn();
    const key = await createKey(account.id, { allowedIps: ["203.0.113.7"] });
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toContain(`href="${routes.keyRestrictions.href({ keyId: key.id })}"`);
    expect((await browser.get(routes.keyRestrictions.href({ keyId: key.id }))).status).toBe(200);
    expect(browser.html).toContain("203.0.113.7</textarea>");
    const saved = await browser.post(routes.keyRestrictions.href({ keyId: key.id }), {
      allowedIps: "",
      allowedSenderDomains: "acme.test",
    });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe(routes.apiKeys.href({ restricted: key.prefix }));
    await browser.follow(saved);
    expect(browser.html).toContain(`The restrictions of the key <code>${key.prefix}</code> were saved.`);
    expect(await rowOf(key.id)).toEqual({ mode: "live", allowed_ips: null, allowed_sender_domains: '["acme.test"]' });
    const send = (from: string) =>
      call(key.key, "/v1/emails", {
        method: "POST",
        headers: { "Content-Type": "application/json", "CF-Connecting-IP": "10.0.0.1" },
        body: JSON.stringify({ from }),
      });
    expect((await send("a@acme.test")).status).toBe(200);
    expect((await send("a@evil.test")).status).toBe(403);
    const audit = await env.DB.prepare(
      "SELECT action, json_extract(actor, '$.type') AS actor, target_id FROM audit_log WHERE account_id = ? AND action = 'key.updated'",
    )
      .bind(account.id)
      .all();
    expect(audit.results).toEqual([{ action: "key.updated", actor: "user", target_id: key.id }]);
  });

  it("refuses a bad list with the line at fault and changes nothing", async () => {
    const { account, browser } = await signedIn();
    const key = await createKey(account.id, { allowedIps: ["203.0.113.7"] });
    await browser.get(routes.keyRestrictions.href({ keyId: key.id }));
    const path = routes.keyRestrictions.href({ keyId: key.id });
    await expectRefused(browser, path, { allowedIps: "10.0.0.5/24", allowedSenderDomains: "ａｃｍｅ.test" }, [
      'Line 1: "10.0.0.5/24" is inside a range: enter the range as 10.0.0.0/24.',
      "is written with look-alike characters: enter it as acme.test.",
    ]);
    expect(await rowOf(key.id)).toMatchObject({ allowed_ips: '["203.0.113.7"]' });
  });

  it("is a 404 for another account's key", async () => {
    const { browser } = await signedIn();
    const other = await signedIn();
    const key = await createKey(other.account.id);
    expect((await browser.get(routes.keyRestrictions.href({ keyId: key.id }))).status).toBe(404);
    await browser.get(routes.apiKeys.href());
    const response = await browser.post(routes.keyRestrictions.href({ keyId: key.id }), { allowedIps: "10.0.0.1" });
    expect(response.status).toBe(404);
    expect(await rowOf(key.id)).toMatchObject({ allowed_ips: null });
  });
});
