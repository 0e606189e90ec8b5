/**
 * The admin API's dashboard users (CONTRACT §4): create, list, set a new
 * password, delete. No response holds a password or a hash; a user of
 * another account is a 404; a new password or a deletion ends the user's
 * dashboard sessions at once.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { accountWithUser, Browser } from "../support/dashboard";
import { admin, createAccount, dataOf, errorOf } from "../support/helpers";

interface UserData {
  id: string;
  accountId: string;
  email: string;
  createdAt: string;
}

const countRows = async (table: string) =>
  (await env.DB.prepare(`SELECT count(*) AS n FROM ${table}`).first<{ n: number }>())?.n ?? 0;
const userRow = (id: string) =>
  env.DB.prepare("SELECT * FROM users WHERE id = ?").bind(id).first<Record<string, unknown>>();

/** The id of the user with this email, from the account's list. */
async function userIdOf(accountId: string, email: string): Promise<string> {
  const users = await dataOf<UserData[]>(await admin("GET", `/accounts/${accountId}/users`));
  const user = users.find((u) => u.email === email);
  if (!user) throw new Error(`no user ${email}`);
  return user.id;
}

/** A browser signed in as the user, and whether its session still opens a signed-in page. */
async function signedInAs(email: string, password: string) {
  const browser = new Browser();
  await browser.login(email, password);
  const live = async () => (await browser.get("/dashboard/settings/api-keys")).status === 200;
  return { browser, live };
}

/** Whether a fresh browser can log in with this email and password. */
async function canLogIn(email: string, password: string): Promise<boolean> {
  const browser = new Browser();
  await browser.get("/dashboard/login");
  return (await browser.post("/dashboard/login", { email, password })).status === 303;
}

describe("POST /admin/accounts/{accountId}/users", () => {
  it("creates a dashboard user and never returns the password or its hash", async () => {
    const account = await createAccount();
    const email = `Owner-${crypto.randomUUID()}@Example.com`;
    const response = await admin("POST", `/accounts/${account.id}/users`, { email, password: "a-long-password" });
    expect(response.status).toBe(201);
    const text = await response.text();
    expect(text).not.toContain("a-long-password");
    expect(text).not.toContain("pbkdf2");
    const { data } = JSON.parse(text) as { data: Record<string, unknown> };
    expect(data).toEqual({
      id: expect.stringMatching(/^usr_/),
      accountId: account.id,
      email: email.toLowerCase(),
      createdAt: expect.any(String),
    });
    const row = await env.DB.prepare("SELECT password_hash FROM users WHERE id = ?")
      .bind(data.id)
      .first<{ password_hash: string }>();
    expect(row?.password_hash).toMatch(/^pbkdf2-sha256\$100000\$/);
  });

  it("answers 409 CONFLICT for an email already in use, whatever its case", async () => {
    const account = await createAccount();
    const email = `dup-${crypto.randomUUID()}@example.com`;
    await admin("POST", `/accounts/${account.id}/users`, { email, password: "a-long-password" });
    const response = await admin("POST", `/accounts/${account.id}/users`, {
      email: email.toUpperCase(),
      password: "another-password",
    });
    expect(response.status).toBe(409);
    expect(await errorOf(response)).toEqual({ code: "CONFLICT", message: "email: is already in use" });
  });

  it.each([
    ["a bad email", { email: "not-an-email", password: "a-long-password" }, "email:"],
    ["a short password", { email: "short@example.com", password: "short" }, "password: must be at least 8 characters"],
    ["a missing password", { email: "nopass@example.com" }, "password: is required"],
  ])("refuses %s with 400 naming the field", async (_, body, message) => {
    const account = await createAccount();
    const response = await admin("POST", `/accounts/${account.id}/users`, body);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toContain(message);
  });

  it("answers 404 for an unknown account and creates no user", async () => {
    const before = await countRows("users");
    const response = await admin("POST", "/accounts/acct_nope/users", {
      email: "x@example.com",
      password: "a-long-password",
    });
    expect(response.status).toBe(404);
    expect(await countRows("users")).toBe(before);
  });
});

describe("GET /admin/accounts/{accountId}/users", () => {
  it("lists the account's users, oldest first, as {id, accountId, email, createdAt} with no hash", async () => {
    const account = await createAccount();
    const emails = [`first-${crypto.randomUUID()}@acme.test`, `second-${crypto.randomUUID()}@acme.test`];
    for (const email of emails)
      await admin("POST", `/accounts/${account.id}/users`, { email, password: "a-long-password" });
    await accountWithUser(); // another account's user is not listed

    const response = await admin("GET", `/accounts/${account.id}/users`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain("pbkdf2");
    expect(text).not.toContain("a-long-password");
    const { success, data } = JSON.parse(text) as { success: boolean; data: UserData[] };
    expect(success).toBe(true);
    expect(data).toEqual(
      emails.map((email) => ({
        id: expect.stringMatching(/^usr_/),
        accountId: account.id,
        email,
        createdAt: expect.any(String),
      })),
    );
  });

  it("answers an empty list for an account without users, and 404 for an unknown account", async () => {
    const account = await createAccount();
    expect(await dataOf(await admin("GET", `/accounts/${account.id}/users`))).toEqual([]);
    const response = await admin("GET", "/accounts/acct_nope/users");
    expect(response.status).toBe(404);
    expect((await errorOf(response)).code).toBe("NOT_FOUND");
  });
});

describe("PATCH /admin/accounts/{accountId}/users/{userId}", () => {
  it("sets a new password: 200 with the user, the old password refused and the new one accepted", async () => {
    const { account, email, password } = await accountWithUser();
    const userId = await userIdOf(account.id, email);
    const response = await admin("PATCH", `/accounts/${account.id}/users/${userId}`, { password: "a-brand-new-one" });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).not.toContain("a-brand-new-one");
    expect(text).not.toContain("pbkdf2");
    expect(JSON.parse(text).data).toEqual({ id: userId, accountId: account.id, email, createdAt: expect.any(String) });
    expect(await canLogIn(email, password)).toBe(false);
    expect(await canLogIn(email, "a-brand-new-one")).toBe(true);
  });

  it("ends every session of that user at once, and no one else's", async () => {
    const { account, email, password } = await accountWithUser();
    const colleague = `colleague-${crypto.randomUUID()}@acme.test`;
    await admin("POST", `/accounts/${account.id}/users`, { email: colleague, password: "colleague-password" });
    const first = await signedInAs(email, password);
    const second = await signedInAs(email, password);
    const other = await signedInAs(colleague, "colleague-password");

    const userId = await userIdOf(account.id, email);
    expect(
      (await admin("PATCH", `/accounts/${account.id}/users/${userId}`, { password: "a-brand-new-one" })).status,
    ).toBe(200);
    expect(await first.live()).toBe(false);
    expect(await second.live()).toBe(false);
    expect(await other.live()).toBe(true);
  });

  it.each([
    ["a short password", { password: "short" }, "password: must be at least 8 characters"],
    ["a missing password", {}, "password: is required"],
    ["a non-string password", { password: 12345678 }, "password:"],
    ["an unknown field", { password: "a-long-password", email: "x@acme.test" }, "email: is not a known field"],
  ])("refuses %s with 400 naming the field, and changes nothing", async (_, body, message) => {
    const { account, email, password } = await accountWithUser();
    const userId = await userIdOf(account.id, email);
    const session = await signedInAs(email, password);
    const before = await userRow(userId);
    const response = await admin("PATCH", `/accounts/${account.id}/users/${userId}`, body);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toContain(message);
    expect(await userRow(userId)).toEqual(before);
    expect(await session.live()).toBe(true);
  });

  it("answers 404 for another account's user or an unknown user, and changes nothing", async () => {
    const { account, email, password } = await accountWithUser();
    const userId = await userIdOf(account.id, email);
    const session = await signedInAs(email, password);
    const stranger = await createAccount();
    const before = await userRow(userId);
    for (const path of [`/accounts/${stranger.id}/users/${userId}`, `/accounts/${account.id}/users/usr_nope`]) {
      const response = await admin("PATCH", path, { password: "a-brand-new-one" });
      expect(response.status).toBe(404);
      expect((await errorOf(response)).code).toBe("NOT_FOUND");
    }
    expect(await userRow(userId)).toEqual(before);
    expect(await session.live()).toBe(true);
  });
});

describe("DELETE /admin/accounts/{accountId}/users/{userId}", () => {
  it("deletes the user: 200 with {id}, gone from the list, its sessions ended and its login refused", async () => {
    const { account, email, password } = await accountWithUser();
    const userId = await userIdOf(account.id, email);
    const session = await signedInAs(email, password);

    const response = await admin("DELETE", `/accounts/${account.id}/users/${userId}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ success: true, data: { id: userId } });
    expect(await dataOf(await admin("GET", `/accounts/${account.id}/users`))).toEqual([]);
    expect(await session.live()).toBe(false);
    expect(await canLogIn(email, password)).toBe(false);
    const sessions = await env.DB.prepare("SELECT count(*) AS n FROM sessions WHERE user_id = ?")
      .bind(userId)
      .first<{ n: number }>();
    expect(sessions?.n).toBe(0);
  });

  it("frees the email for a new user", async () => {
    const { account, email } = await accountWithUser();
    await admin("DELETE", `/accounts/${account.id}/users/${await userIdOf(account.id, email)}`);
    expect((await admin("POST", `/accounts/${account.id}/users`, { email, password: "a-long-password" })).status).toBe(
      201,
    );
  });

  it("answers 404 for another account's user, an unknown user and one already deleted, and deletes nothing", async () => {
    const { account, email, password } = await accountWithUser();
    const userId = await userIdOf(account.id, email);
    const session = await signedInAs(email, password);
    const stranger = await createAccount();
    const users = await countRows("users");
    for (const path of [`/accounts/${stranger.id}/users/${userId}`, `/accounts/${account.id}/users/usr_nope`]) {
      const response = await admin("DELETE", path);
      expect(response.status).toBe(404);
      expect((await errorOf(response)).code).toBe("NOT_FOUND");
    }
    expect(await countRows("users")).toBe(users);
    expect(await session.live()).toBe(true);

    expect((await admin("DELETE", `/accounts/${account.id}/users/${userId}`)).status).toBe(200);
    expect((await admin("DELETE", `/accounts/${account.id}/users/${userId}`)).status).toBe(404);
  });
});
