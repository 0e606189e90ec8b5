/**
 * Audit entries of dashboard logins: `user.login` and `user.login_failed`,
 * for the user whose email was typed. The entry is one conditional insert
 * that takes the account and the user id from the users row itself, so an
 * email that names no user writes nothing, with the same one statement: a
 * failed login costs the same whether the email exists or not (no timing
 * tells which emails have a login).
 */
import { eq, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { insertIf } from "../db/conditional";
import { auditLog, users } from "../db/schema";
import { newId } from "../ids";

/** The statement recording a login, or a failed one, of the user with this (lowercased) email. */
export function loginAuditInsert(
  db: Database,
  action: "user.login" | "user.login_failed",
  email: string,
  ip: string | null,
) {
  return insertIf(db, {
    table: auditLog,
    row: {
      id: newId("aud"),
      accountId: sql`${users.accountId}`,
      at: new Date(),
      actor: { type: "user", email },
      action,
      targetType: "user",
      targetId: sql`${users.id}`,
      ip,
    },
    from: users,
    where: eq(users.email, email),
  });
}
