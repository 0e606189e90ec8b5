/**
 * Settings > Audit log: the account's entries newest first, in words (time,
 * actor, action, target by name, IP), a page of 25 at a time by the log's
 * cursor, never another account's; a cursor it did not hand out is a 400
 * page, and reading the log writes nothing.
 */
import { describe, expect, it } from "vitest";
import { auditCount } from "../../support/audit";
import { literally, routes, signedIn } from "../../support/dashboard";
import { accountWithKey, admin, createKey } from "../../support/helpers";

/** The table's body rows, as plain text with single spaces. */
function rowsOf(html: string): string[] {
  const body = html.slice(html.indexOf("<tbody>"), html.indexOf("</tbody>"));
  return (body.match(/<tr[^>]*>(?:(?!<\/tr>)[\s\S])*<\/tr>/g) ?? []).map((row) =>
    row
      .replace(/<[^>]+>/g, " ")
      .replace(/\s+/g, " ")
      .trim(),
  );
}

describe("Settings > Audit log", () => {
  it("lists the account's entries newest first, with time, actor, action in words, target and IP", async () => {
    const { account, email, browser } = await signedIn();
    const key = await createKey(account.id, { name: "Billing worker" });
    await browser.get(routes.apiKeys.href());
    await browser.post(routes.renameKey.href({ keyId: key.id }), { name: "Billing worker v2" });
    await admin("POST", "/leaked-keys", { keys: [key.key], source: "ticket 42" });
    const stranger = await accountWithKey({ name: "Not yours" });

    const response = await browser.get(routes.auditLog.href());
    expect(response.status).toBe(200);
    const rows = rowsOf(browser.html);
    expect(rows).toHaveLength(6);
    expect(rows[0]).toMatch(
      new RegExp(
        `^\\d+ \\w{3} \\d{4}, \\d\\d:\\d\\d UTC System \\(a leak report to MoMail\\) Key reported as leaked source: ticket 42 Key Billing worker v2 ${key.prefix} None$`,
      ),
    );
    expect(rows[1]).toMatch(new RegExp(` ${email} Key changed Key Billing worker v2 ${key.prefix} ${browser.ip}$`));
    expect(rows[2]).toMatch(/ MoMail operator \(admin API\) Key created Key Billing worker v2 /);
    expect(rows[3]).toMatch(new RegExp(` ${email} Logged in Login ${email} ${browser.ip}$`));
    expect(rows[4]).toMatch(/ MoMail operator \(admin API\) Login created Login /);
    expect(rows[5]).toMatch(/ MoMail operator \(admin API\) Account created Account Acme Mail None$/);
    expect(browser.html).not.toContain("Not yours");
    expect(browser.html).not.toContain(stranger.key.id);
    expect(browser.html).toContain('<tr class="flagged">');
  });

  it("pages 25 entries at a time, older ones by the log's cursor, without repeats or gaps", async () => {
    const { account, browser } = await signedIn();
    for (let i = 1; i <= 28; i++) await admin("PATCH", `/accounts/${account.id}`, { name: `Acme ${i}` });
    // 3 (account created, login created, logged in) + 28 changes.
    await browser.get(routes.auditLog.href());
    const first = rowsOf(browser.html);
    expect(first).toHaveLength(25);
    expect(browser.html).not.toContain(">Newest entries<");
    const olderLink = new RegExp(
      `href="(${literally(routes.auditLog.href({ cursor: "" }))}[A-Za-z0-9_-]+)">Older entries<`,
    );
    const older = olderLink.exec(browser.html)?.[1];
    expect(older).toBeDefined();

    await browser.get(older as string);
    const second = rowsOf(browser.html);
    expect(second).toHaveLength(6);
    expect(second.at(-1)).toContain("Account created");
    expect(browser.html).toContain(`href="${routes.auditLog.href()}">Newest entries<`);
    expect(browser.html).not.toContain(">Older entries<");
    expect([...first, ...second].filter((row) => row.includes("Account settings changed"))).toHaveLength(28);
  });

  it("answers a cursor it did not hand out with a 400 page, and writes nothing when read", async () => {
    const { account, browser } = await signedIn();
    const before = await auditCount(account.id);
    const response = await browser.get(routes.auditLog.href({ cursor: "not-a-cursor" }));
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    await browser.get(routes.auditLog.href());
    expect(await auditCount(account.id)).toBe(before);
  });
});
