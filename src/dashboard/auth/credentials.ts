/**
 * Checking a login's email and password. The user is looked up by its
 * lowercased email with its account's disabled flag, and the password is
 * verified with PBKDF2 (src/auth/password.ts). An unknown email costs the
 * same PBKDF2 work as a known one, against a dummy hash, so response times
 * do not tell which emails have a login; and a disabled account's user is
 * refused like a wrong password, so the answer does not tell that the
 * password was right. A failure is recorded in the audit log of the email's
 * user (`user.login_failed`), by a statement that writes nothing for an
 * email without a user and runs either way (audit/login.ts).
 */
import { eq } from "drizzle-orm";
import { loginAuditInsert } from "../../audit/login";
import { verifyPassword } from "../../auth/password";
import { getDb } from "../../db/client";
import { accounts, users } from "../../db/schema";

export interface LoginUser {
  id: string;
  accountId: string;
}

/** A well-formed hash that no password matches, at the cost of a real one. */
const DUMMY_HASH = `pbkdf2-sha256$100000$${"A".repeat(22)}==$${"A".repeat(43)}=`;

/**
 * The user whose email and password these are, of an enabled account, or
 * null, whatever was wrong. `ip` is the client's address for the audit entry
 * of a failure (`clientIp`, as every audit entry has it).
 */
export async function verifyCredentials(
  env: Env,
  email: string,
  password: string,
  ip: string | null = null,
): Promise<LoginUser | null> {
  const db = getDb(env.DB);
  const [row] = await db
    .select({
      id: users.id,
      accountId: users.accountId,
      passwordHash: users.passwordHash,
      accountDisabled: accounts.disabled,
    })
    .from(users)
    .innerJoin(accounts, eq(accounts.id, users.accountId))
    .where(eq(users.email, email))
    .limit(1);
  const valid = await verifyPassword(password, row?.passwordHash ?? DUMMY_HASH);
  if (!row || !valid || row.accountDisabled) {
    await loginAuditInsert(db, "user.login_failed", email, ip);
    return null;
  }
  return { id: row.id, accountId: row.accountId };
}
