/**
 * The key console's writes in the account's audit log: one entry each, the
 * signed-in user as the actor, from the browser's address; a refused change
 * and a page view add none. (Logins' entries: auth/login.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { auditCount, auditLogOf } from "../../support/audit";
import { routes, signedIn } from "../../support/dashboard";
import { createKey } from "../../support/helpers";

describe("the audit log of the key console", () => {
  it("records a rename and a roll with the user as actor", async () => {
    const { account, email, browser } = await signedIn();
    const key = await createKey(account.id, { name: "Audited" });
    await browser.get(routes.apiKeys.href());
    await browser.post(routes.renameKey.href({ keyId: key.id }), { name: "Audited, renamed" });
    await browser.get(routes.rollKey.href({ keyId: key.id }));
    await browser.follow(await browser.post(routes.rollKey.href({ keyId: key.id }), { grace: "3600" }));

    const [rotated, updated] = await auditLogOf(account.id);
    expect(updated).toMatchObject({
      action: "key.updated",
      actor: { type: "user", email },
      target: { type: "key", id: key.id },
      ip: browser.ip,
    });
    expect(rotated).toMatchObject({ action: "key.rotated", actor: { type: "user", email }, ip: browser.ip });
  });

  it("records nothing for a refused rename, a refused roll, or viewing the pages", async () => {
    const { account, browser } = await signedIn();
    const key = await createKey(account.id, { name: "Quiet" });
    await browser.get(routes.rollKey.href({ keyId: key.id }));
    await browser.follow(await browser.post(routes.rollKey.href({ keyId: key.id }), { grace: "0" }));
    const before = await auditCount(account.id);

    await browser.get(routes.apiKeys.href({ sort: "name" }));
    expect((await browser.post(routes.renameKey.href({ keyId: key.id }), { name: " " })).status).toBe(400);
    expect((await browser.post(routes.rollKey.href({ keyId: key.id }), { grace: "0" })).status).toBe(409);
    expect((await browser.post(routes.rollKey.href({ keyId: key.id }), { grace: "9" })).status).toBe(400);
    await browser.get(routes.renameKey.href({ keyId: key.id }));
    expect(await auditCount(account.id)).toBe(before);
  });
});
