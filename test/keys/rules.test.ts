/**
 * One set of rules for a key's name and expiry (src/keys/rules.ts): the
 * admin API and the dashboard's form refuse the same values, each in its
 * own words, and accept the same ones.
 */
import { describe, expect, it } from "vitest";
import { signedIn } from "../support/dashboard";
import { admin, errorOf } from "../support/helpers";

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe("the key name and expiry rules", () => {
  it.each([
    ["a blank name", { name: "   " }, "name: is required", "Enter a name for the key."],
    [
      "an overlong name",
      { name: "x".repeat(101) },
      "name: must be at most 100 characters",
      "Use at most 100 characters for the name.",
    ],
    [
      "an impossible date",
      { expiresOn: "2031-02-30" },
      "expiresAt: must be an ISO-8601 date or date-time",
      "Enter a valid date, e.g. 2027-01-31.",
    ],
    ["today's date", { expiresOn: day(0) }, "expiresAt: must be in the future", "Choose a date in the future."],
    ["a past date", { expiresOn: "2020-01-01" }, "expiresAt: must be in the future", "Choose a date in the future."],
  ] as Array<[string, { name?: string; expiresOn?: string }, string, string]>)(
    "refuse %s on both surfaces, each in its own words",
    async (_, fields, apiMessage, formMessage) => {
      const { account, browser } = await signedIn();
      const name = fields.name ?? "Valid name";
      const body: Record<string, unknown> = { name };
      if (fields.expiresOn !== undefined) body.expiresAt = fields.expiresOn;
      const response = await admin("POST", `/accounts/${account.id}/keys`, body);
      expect(response.status).toBe(400);
      expect((await errorOf(response)).message).toBe(apiMessage);

      await browser.get("/dashboard/settings/api-keys/new");
      const form = await browser.post("/dashboard/settings/api-keys", { name, expiresOn: fields.expiresOn ?? "" });
      expect(form.status).toBe(400);
      expect(browser.html).toContain(formMessage);
    },
  );

  it("accept the same name and date on both surfaces, the date read as 00:00 UTC", async () => {
    const { account, browser } = await signedIn();
    const created = await admin("POST", `/accounts/${account.id}/keys`, { name: " Trimmed ", expiresAt: day(9) });
    expect(created.status).toBe(201);
    await browser.get("/dashboard/settings/api-keys/new");
    expect((await browser.post("/dashboard/settings/api-keys", { name: " Trimmed ", expiresOn: day(9) })).status).toBe(
      303,
    );
    const listed = (await (await admin("GET", `/accounts/${account.id}/keys`)).json()) as {
      data: Array<{ name: string; expiresAt: string }>;
    };
    expect(listed.data.map((key) => [key.name, key.expiresAt])).toEqual([
      ["Trimmed", `${day(9)}T00:00:00.000Z`],
      ["Trimmed", `${day(9)}T00:00:00.000Z`],
    ]);
  });
});
