/**
 * Settings > Usage: after real traffic through /v1, the chart (SVG with a
 * title, a description and a bar per UTC day), its numbers as a table, each
 * key's totals, the quota used, and the CSV download, for all keys or one;
 * only ever the signed-in user's account.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { formatDay } from "../../../src/dashboard/ui/format";
import { countingEnv } from "../../support/counting-env";
import { routes, signedIn } from "../../support/dashboard";
import { accountWithKey, createKey } from "../../support/helpers";

const BIG = { limit: 100_000, windowSeconds: 60 };

/** A data-plane request through an isolate that takes no leases, so the quota's use is exact at once. */
const call = (key: string, path = "/v1/domains", init: RequestInit = {}) =>
  countingEnv({ LEASE_MS: "0" }).fetch(path, { ...init, headers: { "X-API-Key": key } });

/** A known mix: "Limited" 3 admitted and 2 rate limited; "Reader" 3 admitted and 2 forbidden; "Idle" nothing. */
async function accountWithTraffic() {
  const user = await signedIn({ quota: { limit: 1000, period: "month" } });
  const limited = await createKey(user.account.id, { name: "Limited", rateLimit: { limit: 3, windowSeconds: 60 } });
  const reader = await createKey(user.account.id, { name: "Reader", scopes: ["domains:read"], rateLimit: BIG });
  const idle = await createKey(user.account.id, { name: "Idle" });
  for (let i = 0; i < 5; i++) await call(limited.key);
  for (let i = 0; i < 3; i++) await call(reader.key);
  for (let i = 0; i < 2; i++) await call(reader.key, "/v1/messages", { method: "POST" });
  return { ...user, keys: { limited, reader, idle } };
}

/** The numbers of the table row whose header cell contains `label`. */
function numbersOf(html: string, label: string): number[] {
  const row = html.match(/<tr>(?:(?!<\/tr>)[\s\S])*<\/tr>/g)?.find((tr) => tr.includes(`>${label}<`));
  if (!row) throw new Error(`no row for ${label}`);
  return [...row.matchAll(/<td class="num">([\d,]+)<\/td>/g)].map((m) => Number((m[1] as string).replaceAll(",", "")));
}

const today = () => formatDay(new Date());

describe("Settings > Usage", () => {
  it("charts the last 30 UTC days by outcome and totals each key, exactly as of the page", async () => {
    const { browser, keys } = await accountWithTraffic();
    const response = await browser.get(routes.usage.href());
    expect(response.status).toBe(200);
    const html = browser.html;

    // The chart: one image with a title and a description, a bar segment per outcome of today.
    expect(html).toMatch(
      /<svg class="usage-chart" viewBox="0 0 760 260" role="img" aria-labelledby="usage-chart-title usage-chart-desc"/,
    );
    expect(html).toMatch(/<title id="usage-chart-title">Requests per UTC day, all keys, \d+ \w{3} \d{4} to /);
    expect(html).toContain(`<desc id="usage-chart-desc">10 requests: 6 admitted, 2 rate limited, 2 forbidden, from `);
    expect(html).toContain(`<title>${today()}: 6 admitted</title>`);
    expect(html).toContain(`<title>${today()}: 2 rate limited</title>`);
    expect(html).toContain(`<title>${today()}: 2 forbidden</title>`);
    for (const label of ["Admitted", "Rate limited", "Quota exceeded", "Forbidden"]) expect(html).toContain(label);

    // The chart's numbers: 30 days, today's with the counts.
    const days = html.slice(html.indexOf('<details class="data-table">'), html.indexOf("</details>"));
    expect(days.match(/<th scope="row"><time/g)).toHaveLength(30);
    expect(numbersOf(days, today())).toEqual([6, 2, 0, 2, 10]);

    // Each key's totals (keys without requests too), and the account's.
    const totals = html.slice(html.indexOf('id="totals-heading"'));
    expect(numbersOf(totals, keys.limited.prefix)).toEqual([3, 2, 0, 0, 5]);
    expect(numbersOf(totals, keys.reader.prefix)).toEqual([3, 0, 0, 2, 5]);
    expect(numbersOf(totals, keys.idle.prefix)).toEqual([0, 0, 0, 0, 0]);
    expect(numbersOf(totals, "All keys")).toEqual([6, 2, 0, 2, 10]);

    // The quota used this period: the admitted requests, at one unit each.
    expect(html).toMatch(/<strong>6<\/strong> of 1,000 units used this month \(UTC\)/);
  });

  it("charts one key when the selector names it, and all keys for a key the account does not have", async () => {
    const { browser, keys } = await accountWithTraffic();
    const other = await accountWithKey({ name: "Stranger" });
    await call(other.key.key);

    await browser.get(routes.usage.href({ key: keys.reader.id }));
    expect(browser.html).toContain(
      `<option value="${keys.reader.id}" selected="">Reader (${keys.reader.prefix})</option>`,
    );
    expect(browser.html).toContain(`Requests per UTC day, Reader (${keys.reader.prefix}), `);
    expect(browser.html).toContain('<desc id="usage-chart-desc">5 requests: 3 admitted, 2 forbidden, from ');
    expect(browser.html).not.toContain(`${today()}: 2 rate limited`);

    await browser.get(routes.usage.href({ key: other.key.id }));
    expect(browser.html).toContain('<option value="" selected="">All keys</option>');
    expect(browser.html).toContain('<desc id="usage-chart-desc">10 requests:');
    expect(browser.html).not.toContain("Stranger");
  });

  it("keeps a deleted key's requests in the totals, marked deleted", async () => {
    const { browser, keys } = await accountWithTraffic();
    await browser.get(routes.deleteKey.href({ keyId: keys.limited.id }));
    await browser.post(routes.deleteKey.href({ keyId: keys.limited.id }));
    await browser.get(routes.usage.href());
    const totals = browser.html.slice(browser.html.indexOf('id="totals-heading"'));
    expect(numbersOf(totals, keys.limited.prefix)).toEqual([3, 2, 0, 0, 5]);
    expect(totals).toMatch(new RegExp(`${keys.limited.prefix}</code><span class="badge badge-muted">Deleted</span>`));
  });

  it("counts earlier days from the rolled-up hours, and nothing older than 30 days", async () => {
    const { account, browser } = await signedIn();
    const key = await createKey(account.id, { name: "Nightly" });
    const day = 86_400_000;
    const startOfToday = Date.now() - (Date.now() % day);
    const rollUp = (hour: number, admitted: number, rateLimited: number) =>
      env.DB.prepare(
        "INSERT INTO usage_hours (key_id, account_id, hour, admitted, rate_limited) VALUES (?, ?, ?, ?, ?)",
      )
        .bind(key.id, account.id, hour, admitted, rateLimited)
        .run();
    await rollUp(startOfToday - 3 * day + 5 * 3_600_000, 40, 1);
    await rollUp(startOfToday - 3 * day + 6 * 3_600_000, 2, 0);
    await rollUp(startOfToday - 29 * day, 7, 0);
    await rollUp(startOfToday - 30 * day + 23 * 3_600_000, 1_000, 0);

    await browser.get(routes.usage.href());
    const label = (ms: number) => formatDay(new Date(ms));
    const days = browser.html.slice(browser.html.indexOf('<details class="data-table">'));
    expect(numbersOf(days, label(startOfToday - 3 * day))).toEqual([42, 1, 0, 0, 43]);
    expect(numbersOf(days, label(startOfToday - 29 * day))).toEqual([7, 0, 0, 0, 7]);
    expect(days).not.toContain(`>${label(startOfToday - 30 * day)}<`);
    expect(numbersOf(browser.html.slice(browser.html.indexOf('id="totals-heading"')), "All keys")).toEqual([
      49, 1, 0, 0, 50,
    ]);
    // The y axis rounds up from the busiest day (43): gridlines at 10, 20, 30, 40, 50.
    expect(browser.html).toMatch(/dominant-baseline="middle">50<\/text>/);
    expect(browser.html).not.toMatch(/dominant-baseline="middle">60<\/text>/);
  });

  it("says so when there were no requests", async () => {
    const { browser } = await signedIn();
    await browser.get(routes.usage.href());
    expect(browser.html).toMatch(/<desc id="usage-chart-desc">No requests from \d+ \w{3} \d{4} to /);
    expect(browser.html).toContain("This account has no quota.");
  });

  it("downloads the rows as CSV behind the session, for all keys or one", async () => {
    const { account, browser, keys } = await accountWithTraffic();
    const response = await browser.get(routes.usageCsv.href());
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toMatch(
      new RegExp(`^attachment; filename="usage-${account.id}-\\d{4}-\\d{2}-\\d{2}-to-\\d{4}-\\d{2}-\\d{2}\\.csv"$`),
    );
    expect(response.headers.get("cache-control")).toBe("no-store");
    const lines = (await response.text()).trimEnd().split("\r\n");
    expect(lines[0]).toBe(
      "start,keyId,admitted,rateLimited,quotaExceeded,forbidden,origin2xx,origin3xx,origin4xx,origin5xx,originFailed",
    );
    expect(lines.slice(1).map((line) => line.split(",").slice(1, 6))).toEqual(
      expect.arrayContaining([
        [keys.limited.id, "3", "2", "0", "0"],
        [keys.reader.id, "3", "0", "0", "2"],
      ]),
    );
    expect(lines).toHaveLength(3);

    const one = await (await browser.get(routes.usageCsv.href({ key: keys.reader.id }))).text();
    expect(one.trimEnd().split("\r\n").slice(1)).toEqual([expect.stringContaining(`,${keys.reader.id},3,0,0,2,`)]);
  });

  it("sends a signed-out visitor to the login, for the page and the CSV", async () => {
    const { browser } = await accountWithTraffic();
    await browser.get(routes.usage.href());
    await browser.post(routes.logout.href());
    for (const path of [routes.usage.href(), routes.usageCsv.href()]) {
      const response = await browser.get(path);
      expect(response.status, path).toBe(303);
      expect(response.headers.get("location")).toBe(routes.login.href());
    }
  });
});
