/**
 * The key console's writes in the account's audit log: one entry each, the
 * signed-in user as the actor, from the browser's address; a refused change
 * and a page view add none.
 */
import { describe, expect, it } from "vitest";
import { auditCount, auditLogOf } from "../support/audit";
import { accountWithUser, Browser, signedIn } from "../support/dashboard";
import { createKey } from "../support/helpers";

describe("the audit log of the key console", () => {
  it("records a rename and a roll with the user as actor", async () => {
    const { account, email, browser } = await signedIn();
    const key = await createKey(account.id, { name: "Audited" });
    await browser.get("/dashboard/settings/api-keys");
    await browser.post(`/dashboard/settings/api-keys/${key.id}/rename`, { name: "Audited, renamed" });
    await browser.get(`/dashboard/settings/api-keys/${key.id}/roll`);
    await browser.follow(await browser.post(`/dashboard/settings/api-keys/${key.id}/roll`, { grace: "3600" }));

    const [rotated, updated] = await auditLogOf(account.id);
    expect(updated).toMatchObject({
      action: "key.updated",
      actor: { type: "user", email },
      target: { type: "key", id: key.id },
      ip: browser.ip,
    });
    expect(rotated).toMatchObject({ action: "key.rotated", actor: { type: "user", email }, ip: browser.ip });
  });

  it("records a failed login, and a login, with the client's full address", async () => {
    const { account, email, password } = await accountWithUser();
    const stranger = new Browser("2001:db8:1:2:3:4:5:6");
    await stranger.get("/dashboard/login");
    expect((await stranger.post("/dashboard/login", { email, password: `${password}!` })).status).toBe(401);
    await stranger.login(email, password);

    const [login, failed] = await auditLogOf(account.id);
    expect(failed).toMatchObject({ action: "user.login_failed", actor: { type: "user", email }, ip: stranger.ip });
    expect(login).toMatchObject({ action: "user.login", ip: stranger.ip });
  });

  it("records nothing for a refused rename, a refused roll, or viewing the pages", async () => {
    const { account, browser } = await signedIn();
    const key = await createKey(account.id, { name: "Quiet" });
    await browser.get(`/dashboard/settings/api-keys/${key.id}/roll`);
    await browser.follow(await browser.post(`/dashboard/settings/api-keys/${key.id}/roll`, { grace: "0" }));
    const before = await auditCount(account.id);

    await browser.get("/dashboard/settings/api-keys?sort=name");
    expect((await browser.post(`/dashboard/settings/api-keys/${key.id}/rename`, { name: " " })).status).toBe(400);
    expect((await browser.post(`/dashboard/settings/api-keys/${key.id}/roll`, { grace: "0" })).status).toBe(409);
    expect((await browser.post(`/dashboard/settings/api-keys/${key.id}/roll`, { grace: "9" })).status).toBe(400);
    await browser.get(`/dashboard/settings/api-keys/${key.id}/rename`);
    expect(await auditCount(account.id)).toBe(before);
  });
});
