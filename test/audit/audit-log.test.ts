/**
 * The audit log (CONTRACT §4): one entry per successful write of the admin
 * API and the dashboard, none for a refused one; who, what, which target,
 * from which address; read newest first through a stable cursor; pruned by
 * the cron job after AUDIT_RETENTION_DAYS.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import { allAuditRows, auditCount, auditLogOf } from "../support/audit";
import { Browser, signedIn } from "../support/dashboard";
import { ADMIN_TOKEN, admin, createAccount, createKey, dataOf, errorOf, gateway } from "../support/helpers";

const IP = "203.0.113.7";

/** An admin call from a known client address. */
function adminFrom(method: string, path: string, body?: unknown) {
  const headers: Record<string, string> = { Authorization: `Bearer ${ADMIN_TOKEN}`, "CF-Connecting-IP": IP };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return gateway(`/admin${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

describe("the audit log of admin writes", () => {
  it("records every write once, newest first, with the admin actor, the target and the client's address", async () => {
    const account = await dataOf<{ id: string }>(await adminFrom("POST", "/accounts", { name: "Audited" }));
    const a = `/accounts/${account.id}`;
    await adminFrom("PATCH", a, { name: "Audited, renamed" });
    const user = await dataOf<{ id: string }>(
      await adminFrom("POST", `${a}/users`, { email: `${crypto.randomUUID()}@audit.test`, password: "long enough" }),
    );
    await adminFrom("PATCH", `${a}/users/${user.id}`, { password: "another long one" });
    await adminFrom("DELETE", `${a}/users/${user.id}`);
    const key = await dataOf<{ id: string }>(await adminFrom("POST", `${a}/keys`, { name: "k" }));
    await adminFrom("PATCH", `${a}/keys/${key.id}`, { name: "k2" });
    const successor = await dataOf<{ id: string }>(await adminFrom("POST", `${a}/keys/${key.id}/rotate`, {}));
    await adminFrom("DELETE", `${a}/keys/${successor.id}`);

    const log = await auditLogOf(account.id);
    expect(log.map((entry) => [entry.action, entry.target])).toEqual([
      ["key.revoked", { type: "key", id: successor.id }],
      ["key.rotated", { type: "key", id: key.id }],
      ["key.updated", { type: "key", id: key.id }],
      ["key.created", { type: "key", id: key.id }],
      ["user.deleted", { type: "user", id: user.id }],
      ["user.updated", { type: "user", id: user.id }],
      ["user.created", { type: "user", id: user.id }],
      ["account.updated", { type: "account", id: account.id }],
      ["account.created", { type: "account", id: account.id }],
    ]);
    for (const entry of log) {
      expect(entry).toMatchObject({
        id: expect.stringMatching(/^aud_[A-Za-z0-9]{20}$/),
        actor: { type: "admin" },
        ip: IP,
      });
      expect(new Date(entry.at).toISOString()).toBe(entry.at);
    }
    expect(log.find((entry) => entry.action === "key.rotated")?.details).toEqual({ newKeyId: successor.id });
  });

  it("adds no entry for a refused write: invalid body, unknown key, rotated-out key, full account, second revoke", async () => {
    const account = await createAccount({ maxKeys: 2 });
    const key = await createKey(account.id);
    await admin("POST", `/accounts/${account.id}/keys/${key.id}/rotate`, { gracePeriodSeconds: 60 });
    const before = await auditCount(account.id);
    const a = `/accounts/${account.id}`;
    const refused = [
      await admin("PATCH", a, { name: "" }),
      await admin("POST", `${a}/users`, { email: "not an email", password: "x" }),
      await admin("PATCH", `${a}/keys/key_00000000000000000000`, { name: "x" }),
      await admin("POST", `${a}/keys/${key.id}/rotate`, {}),
      await admin("PATCH", `${a}/keys/${key.id}`, { expiresAt: "2099-01-01" }),
      await admin("POST", `${a}/keys`, { name: "over the cap" }),
      await admin("PATCH", a, { webhookUrl: "http://10.0.0.1/hooks" }),
    ];
    expect(refused.map((response) => response.status)).toEqual([400, 400, 404, 409, 409, 409, 400]);
    expect(await auditCount(account.id)).toBe(before);
    // A revocation is one write: deleting an already-revoked key again answers 200 and records nothing.
    await admin("DELETE", `${a}/keys/${key.id}`);
    const afterRevoke = await auditCount(account.id);
    expect((await admin("DELETE", `${a}/keys/${key.id}`)).status).toBe(200);
    expect(await auditCount(account.id)).toBe(afterRevoke);
  });

  it("never holds a key, a secret, a password or a hash", async () => {
    const password = "a-password-to-look-for-9";
    const account = await createAccount();
    const key = await createKey(account.id);
    const user = await dataOf<{ id: string }>(
      await admin("POST", `/accounts/${account.id}/users`, { email: `${crypto.randomUUID()}@audit.test`, password }),
    );
    const hook = await dataOf<{ webhookSecret: string }>(
      await admin("PATCH", `/accounts/${account.id}`, {
        webhookUrl: `http://127.0.0.1:${env.WEBHOOK_RECEIVER_PORT}/hooks/x`,
      }),
    );
    const rotated = await dataOf<{ key: string }>(
      await admin("POST", `/accounts/${account.id}/keys/${key.id}/rotate`, {}),
    );
    const stored = await env.DB.prepare(
      "SELECT (SELECT group_concat(secret_hash) FROM api_keys WHERE account_id = ?1) AS keys, (SELECT password_hash FROM users WHERE id = ?2) AS password, (SELECT webhook_secret FROM accounts WHERE id = ?1) AS sealed",
    )
      .bind(account.id, user.id)
      .first<{ keys: string; password: string; sealed: string }>();
    const rows = JSON.stringify(await allAuditRows());
    for (const secret of [
      key.key,
      key.key.slice(12),
      rotated.key,
      rotated.key.slice(12),
      password,
      hook.webhookSecret,
      ...(stored?.keys.split(",") ?? []),
      stored?.password,
      stored?.sealed,
      env.KEY_PEPPER,
    ]) {
      expect(secret).toBeTruthy();
      expect(rows).not.toContain(secret);
    }
  });
});

describe("the audit log of dashboard writes", () => {
  it("records the user's logins, failed logins, key creations and deletions with the user as actor", async () => {
    const { account, email, password, browser } = await signedIn();
    const stranger = new Browser();
    await stranger.get("/dashboard/login");
    await stranger.post("/dashboard/login", { email, password: `${password}-wrong` });
    await browser.get("/dashboard/settings/api-keys/new");
    await browser.post("/dashboard/settings/api-keys", { name: "From the dashboard", expiresOn: "" });
    const [made] = await dataOf<Array<{ id: string }>>(await admin("GET", `/accounts/${account.id}/keys`));
    await browser.get(`/dashboard/settings/api-keys/${made?.id}/delete`);
    await browser.post(`/dashboard/settings/api-keys/${made?.id}/delete`);

    const log = await auditLogOf(account.id);
    const [userId] = (await dataOf<Array<{ id: string }>>(await admin("GET", `/accounts/${account.id}/users`))).map(
      (user) => user.id,
    );
    expect(log.slice(0, 4).map((entry) => [entry.action, entry.actor, entry.target])).toEqual([
      ["key.revoked", { type: "user", email }, { type: "key", id: made?.id }],
      ["key.created", { type: "user", email }, { type: "key", id: made?.id }],
      ["user.login_failed", { type: "user", email }, { type: "user", id: userId }],
      ["user.login", { type: "user", email }, { type: "user", id: userId }],
    ]);
    expect(log[0]?.ip).toBe(browser.ip);
    expect(log[3]?.ip).toBe(browser.ip);
  });

  it("records nothing for a failed login with an email that names no user", async () => {
    const before = (await allAuditRows()).length;
    const browser = new Browser();
    await browser.get("/dashboard/login");
    const response = await browser.post("/dashboard/login", {
      email: "nobody@nowhere.test",
      password: "whatever-it-is",
    });
    expect(response.status).toBe(401);
    expect((await allAuditRows()).length).toBe(before);
  });
});

describe("GET /admin/accounts/{accountId}/audit-log", () => {
  async function accountWithEntries(count: number) {
    const account = await createAccount({ name: "Paged" });
    for (let i = 1; i < count; i++) await admin("PATCH", `/accounts/${account.id}`, { name: `Paged ${i}` });
    return account;
  }

  async function page(accountId: string, query: string) {
    const response = await admin("GET", `/accounts/${accountId}/audit-log${query}`);
    expect(response.status).toBe(200);
    return (await response.json()) as { success: true; data: Array<{ id: string }>; nextCursor: string | null };
  }

  it("pages newest first with nextCursor, null on the last page", async () => {
    const account = await accountWithEntries(7);
    const all = (await page(account.id, "")).data.map((entry) => entry.id);
    expect(all).toHaveLength(7);
    const first = await page(account.id, "?limit=3");
    const second = await page(account.id, `?limit=3&cursor=${first.nextCursor}`);
    const third = await page(account.id, `?limit=3&cursor=${second.nextCursor}`);
    expect([first, second, third].map((p) => p.data.length)).toEqual([3, 3, 1]);
    expect(third.nextCursor).toBeNull();
    expect([...first.data, ...second.data, ...third.data].map((entry) => entry.id)).toEqual(all);
  });

  it("keeps pages stable while entries are added: no entry twice, none skipped", async () => {
    const account = await accountWithEntries(5);
    const all = (await page(account.id, "")).data.map((entry) => entry.id);
    const first = await page(account.id, "?limit=2");
    await admin("PATCH", `/accounts/${account.id}`, { name: "Written while paging" });
    const second = await page(account.id, `?limit=2&cursor=${first.nextCursor}`);
    const third = await page(account.id, `?limit=2&cursor=${second.nextCursor}`);
    expect([...first.data, ...second.data, ...third.data].map((entry) => entry.id)).toEqual(all);
    expect(third.nextCursor).toBeNull();
  });

  it.each([
    ["0", "limit:"],
    ["101", "limit:"],
    ["ten", "limit:"],
    ["1.5", "limit:"],
  ])("refuses limit=%s with 400 naming the field", async (limit, message) => {
    const account = await createAccount();
    const response = await admin("GET", `/accounts/${account.id}/audit-log?limit=${limit}`);
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toContain(message);
  });

  it.each([["not-a-cursor"], ["YQ"], [btoa("a0")], [btoa("b12")], ["x".repeat(100)]])(
    "refuses cursor=%s with 400 naming the field",
    async (cursor) => {
      const account = await createAccount();
      const response = await admin("GET", `/accounts/${account.id}/audit-log?cursor=${encodeURIComponent(cursor)}`);
      expect(response.status).toBe(400);
      expect((await errorOf(response)).message).toMatch(/^cursor: /);
    },
  );

  it("answers 404 for an unknown account and 401 without the token", async () => {
    expect((await admin("GET", "/accounts/acct_00000000000000000000/audit-log")).status).toBe(404);
    expect((await gateway("/admin/accounts/acct_00000000000000000000/audit-log")).status).toBe(401);
  });
});

describe("retention", () => {
  it("deletes the entries older than AUDIT_RETENTION_DAYS when the cron job runs, and keeps the rest", async () => {
    const account = await createAccount({ name: "Retained" });
    const day = 86_400_000;
    const insert = env.DB.prepare(
      "INSERT INTO audit_log (id, account_id, at, actor, action, target_type, target_id, ip) VALUES (?, ?, ?, '{\"type\":\"admin\"}', 'account.updated', 'account', ?, NULL)",
    );
    await env.DB.batch([
      insert.bind(`aud_old_${crypto.randomUUID()}`, account.id, Date.now() - 366 * day, account.id),
      insert.bind(`aud_kept_${crypto.randomUUID()}`, account.id, Date.now() - 364 * day, account.id),
    ]);
    expect(await auditCount(account.id)).toBe(3);

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    const kept = (await auditLogOf(account.id)).map((entry) => entry.id);
    expect(kept).toHaveLength(2);
    expect(kept).toContainEqual(expect.stringMatching(/^aud_kept_/));
    expect(kept).not.toContainEqual(expect.stringMatching(/^aud_old_/));
  });

  it("keeps entries for as many days as AUDIT_RETENTION_DAYS says", async () => {
    const account = await createAccount({ name: "Kept longer" });
    const insert = env.DB.prepare(
      "INSERT INTO audit_log (id, account_id, at, actor, action, target_type, target_id) VALUES (?, ?, ?, '{\"type\":\"admin\"}', 'account.updated', 'account', ?)",
    );
    await insert.bind(`aud_old_${crypto.randomUUID()}`, account.id, Date.now() - 400 * 86_400_000, account.id).run();
    const ctx = createExecutionContext();
    const controller = createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" });
    await worker.scheduled(controller, { ...env, AUDIT_RETENTION_DAYS: "500" } as Env, ctx);
    expect(await auditCount(account.id)).toBe(2);
  });
});
