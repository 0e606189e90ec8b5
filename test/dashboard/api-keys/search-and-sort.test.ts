/**
 * Narrowing and ordering the key list, by the server from the query (no
 * script needed): search in names and prefixes, any case; the status
 * filter; sort by name, creation or last use, either way, from the column
 * headers; unknown parameters fall back to the defaults.
 */
import { describe, expect, it } from "vitest";
import { listedNames, routes, setKeyColumn, signedIn } from "../../support/dashboard";
import { createKey } from "../../support/helpers";

const DAY = 86_400_000;

describe("searching and sorting the key list", () => {
  it("sorts by name, creation or last use, either way, from the column headers", async () => {
    const { account, browser } = await signedIn();
    const b = await createKey(account.id, { name: "bravo" });
    const a = await createKey(account.id, { name: "Alpha" });
    const c = await createKey(account.id, { name: "charlie" });
    await setKeyColumn(b.id, "created_at", Date.now() - 3 * DAY);
    await setKeyColumn(a.id, "created_at", Date.now() - 2 * DAY);
    await setKeyColumn(c.id, "created_at", Date.now() - 1 * DAY);
    await setKeyColumn(a.id, "last_used_at", Date.now() - 5 * DAY);
    await setKeyColumn(c.id, "last_used_at", Date.now() - 1 * DAY);

    await browser.get(routes.apiKeys.href());
    expect(listedNames(browser.html)).toEqual(["charlie", "Alpha", "bravo"]);
    expect(browser.html).toContain(
      `<th scope="col" aria-sort="descending"><a href="${routes.apiKeys.href({ dir: "asc" })}">Created`,
    );
    expect(browser.html).toContain(`<a href="${routes.apiKeys.href({ sort: "name" })}">Name and prefix</a>`);
    await browser.get(routes.apiKeys.href({ sort: "name" }));
    expect(listedNames(browser.html)).toEqual(["Alpha", "bravo", "charlie"]);
    await browser.get(routes.apiKeys.href({ sort: "name", dir: "desc" }));
    expect(listedNames(browser.html)).toEqual(["charlie", "bravo", "Alpha"]);
    await browser.get(routes.apiKeys.href({ sort: "last_used" }));
    expect(listedNames(browser.html)).toEqual(["charlie", "Alpha", "bravo"]);
    await browser.get(routes.apiKeys.href({ sort: "last_used", dir: "asc" }));
    expect(listedNames(browser.html)).toEqual(["bravo", "Alpha", "charlie"]);
    await browser.get(routes.apiKeys.href({ sort: "created", dir: "asc" }));
    expect(listedNames(browser.html)).toEqual(["bravo", "Alpha", "charlie"]);
  });

  it("searches names and prefixes, says how many match, and shows the list for unknown parameters", async () => {
    const { account, browser } = await signedIn();
    await createKey(account.id, { name: "Production API" });
    const staging = await createKey(account.id, { name: "Staging" });
    await browser.get(routes.apiKeys.href({ q: "PRODUCTION" }));
    expect(listedNames(browser.html)).toEqual(["Production API"]);
    expect(browser.html).toContain("1 of 2 keys match.");
    expect(browser.html).toContain('<input id="q" name="q" type="search" value="PRODUCTION"');
    await browser.get(routes.apiKeys.href({ q: staging.prefix }));
    expect(listedNames(browser.html)).toEqual(["Staging"]);
    expect((await browser.get(routes.apiKeys.href({ sort: "<x>", dir: "up", status: "zzz" }))).status).toBe(200);
    expect(listedNames(browser.html)).toHaveLength(2);
  });

  it("has labelled search, filter and order controls in a GET form", async () => {
    const { account, browser } = await signedIn();
    await createKey(account.id);
    await browser.get(routes.apiKeys.href());
    expect(browser.html).toContain(
      `<form class="list-controls" method="get" action="${routes.apiKeys.href()}" aria-label="Search and sort keys">`,
    );
    for (const [id, label] of [
      ["q", "Search"],
      ["status", "Show"],
      ["sort", "Sort by"],
      ["dir", "Order"],
    ]) {
      expect(browser.html).toContain(`<label for="${id}">${label}</label>`);
    }
  });
});
