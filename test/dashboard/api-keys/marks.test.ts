/**
 * The marks of the key list: Expires soon (within 7 days, not later), the
 * hint to delete a key unused for 90 days (or never used and older than
 * that), and Leaked (a key reported with LEAKED_KEY_ACTION=notify) until the
 * key is deleted, with the filters that keep such keys. The leaked mark is
 * checked without a request too: KeyTable renders it from `leakedAt`.
 */
import { describe, expect, it } from "vitest";
import { parseConfig } from "../../../src/config";
import { KeyTable } from "../../../src/dashboard/api-keys/key-table";
import { parseListQuery, selectKeys } from "../../../src/dashboard/api-keys/list";
import type { Account, ApiKey } from "../../../src/db/schema";
import { countingEnv } from "../../support/counting-env";
import { listedNames, MINIMAL_CONFIG, routes, setKeyColumn, signedIn } from "../../support/dashboard";
import { ADMIN_TOKEN, call, createKey } from "../../support/helpers";

const DAY = 86_400_000;
const now = new Date();
const account = { id: "acct_x", name: "Acme", rateLimitLimit: null, rateLimitWindowSeconds: null } as Account;
const key = (name: string, extra: Partial<ApiKey> = {}): ApiKey =>
  ({
    id: `key_${name.padEnd(20, "0")}`,
    accountId: account.id,
    name,
    prefix: name.slice(0, 8).padEnd(8, "0").toLowerCase(),
    scopes: ["*"],
    rateLimitLimit: null,
    rateLimitWindowSeconds: null,
    expiresAt: null,
    rotatedAt: null,
    lastUsedAt: now,
    createdAt: now,
    leakedAt: null,
    ...extra,
  }) as ApiKey;

describe("the key list's marks", () => {
  it("marks keys expiring within 7 days, not those expiring later", async () => {
    const { account, browser } = await signedIn();
    await createKey(account.id, { name: "Soon", expiresAt: new Date(Date.now() + 3 * DAY).toISOString() });
    await createKey(account.id, { name: "Later", expiresAt: new Date(Date.now() + 30 * DAY).toISOString() });
    await browser.get(routes.apiKeys.href());
    const soonRow = browser.html.slice(browser.html.indexOf(">Soon<"));
    expect(soonRow.slice(0, soonRow.indexOf("</tr>"))).toContain("Expires soon");
    expect(browser.html.match(/>Expires soon</g)).toHaveLength(1);
  });

  it("hints that a key unused for 90 days, or never used and older than that, is a candidate to delete", async () => {
    const { account, browser } = await signedIn();
    const idle = await createKey(account.id, { name: "Idle" });
    const never = await createKey(account.id, { name: "Never" });
    const fresh = await createKey(account.id, { name: "Fresh" });
    await setKeyColumn(idle.id, "last_used_at", Date.now() - 91 * DAY);
    await setKeyColumn(never.id, "created_at", Date.now() - 120 * DAY);
    await setKeyColumn(fresh.id, "last_used_at", Date.now() - 10 * DAY);
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toContain("Not used in 90 days: consider deleting it");
    expect(browser.html).toContain("Never used: consider deleting it");
    expect(browser.html.match(/consider deleting it/g)).toHaveLength(2);

    await browser.get(routes.apiKeys.href({ status: "unused" }));
    expect(listedNames(browser.html).sort()).toEqual(["Idle", "Never"]);
  });

  it("marks a key reported as leaked (LEAKED_KEY_ACTION=notify keeps it live), and filters on it", async () => {
    const { account, browser } = await signedIn();
    const leaky = await createKey(account.id, { name: "Pasted in a gist" });
    await createKey(account.id, { name: "Safe" });
    const report = await countingEnv({ LEAKED_KEY_ACTION: "notify" }).fetch("/admin/leaked-keys", {
      method: "POST",
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ keys: [leaky.key], source: "test" }),
    });
    expect(report.status).toBe(200);
    expect((await call(leaky.key)).status).toBe(200);

    await browser.get(routes.apiKeys.href());
    const row = browser.html.slice(browser.html.indexOf(">Pasted in a gist<"));
    expect(row.slice(0, row.indexOf("</tr>"))).toMatch(/title="Reported as leaked [^"]+: roll or delete it">Leaked</);
    expect(browser.html.match(/>Leaked</g)).toHaveLength(1);
    await browser.get(routes.apiKeys.href({ status: "leaked" }));
    expect(listedNames(browser.html)).toEqual(["Pasted in a gist"]);
  });

  it("keeps the leaked mark until the key is deleted", async () => {
    const { account, browser } = await signedIn();
    const leaky = await createKey(account.id, { name: "Marked" });
    await setKeyColumn(leaky.id, "leaked_at", Date.now() - DAY);
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toContain(">Leaked</span>");
    await browser.get(routes.deleteKey.href({ keyId: leaky.id }));
    await browser.post(routes.deleteKey.href({ keyId: leaky.id }));
    await browser.get(routes.apiKeys.href());
    expect(browser.html).not.toContain(">Leaked</span>");
  });
});

describe("the leaked mark", () => {
  it("shows on a key whose leakedAt is set, and only there", async () => {
    const html = String(
      await KeyTable({
        keys: [key("Leaky", { leakedAt: new Date(Date.UTC(2026, 5, 1, 9, 30)) }), key("Clean")],
        account,
        config: parseConfig(MINIMAL_CONFIG),
        query: parseListQuery({}),
        csrfToken: "t",
      }),
    );
    expect(html.match(/>Leaked</g)).toHaveLength(1);
    expect(html).toContain('title="Reported as leaked 1 Jun 2026, 09:30 UTC: roll or delete it"');
    expect(html).toContain('<tr class="leaked">');
  });

  it("is what status=leaked keeps", () => {
    const keys = [key("Leaky", { leakedAt: now }), key("Clean"), key("Unknown", { leakedAt: null })];
    expect(selectKeys(keys, parseListQuery({ status: "leaked" })).map((k) => k.name)).toEqual(["Leaky"]);
  });
});
