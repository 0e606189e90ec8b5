/**
 * An account's dashboard users in D1: create, list, set a new password,
 * delete. A new password or a deletion ends the user's dashboard sessions in
 * the same D1 batch (one transaction), so a failure at any statement changes
 * nothing and, once the call returns, no session of the old password is left.
 * Each write adds its audit entry in that same batch, under the write's own
 * condition (the user still exists), so a user deleted meanwhile leaves none.
 */
import { and, asc, eq } from "drizzle-orm";
import { type AuditContext, auditInsert, auditInsertIf } from "../audit/entries";
import { hashPassword } from "../auth/password";
import { getDb, isUniqueViolation } from "../db/client";
import { sessions, type User, users } from "../db/schema";
import { ApiError } from "../errors";
import { newId } from "../ids";
import { getAccount } from "./accounts";

const EMAIL_TAKEN = "email: is already in use";

/** The account's user, or a 404 ApiError (a user of another account is not found either). */
async function getUser(env: Env, accountId: string, userId: string): Promise<User> {
  await getAccount(env, accountId);
  const user = await getDb(env.DB).query.users.findFirst({
    where: and(eq(users.id, userId), eq(users.accountId, accountId)),
  });
  if (!user) throw new ApiError("NOT_FOUND", "User not found");
  return user;
}

/** A dashboard login for the account; a taken email is a 409. */
export async function createUser(
  env: Env,
  accountId: string,
  input: { email: string; password: string },
  by: AuditContext,
): Promise<User> {
  await getAccount(env, accountId);
  const db = getDb(env.DB);
  const email = input.email.toLowerCase();
  const taken = await db.query.users.findFirst({ where: eq(users.email, email), columns: { id: true } });
  if (taken) throw new ApiError("CONFLICT", EMAIL_TAKEN);
  const now = new Date();
  const passwordHash = await hashPassword(input.password);
  const id = newId("usr");
  try {
    const [[user]] = await db.batch([
      db.insert(users).values({ id, accountId, email, passwordHash, createdAt: now, updatedAt: now }).returning(),
      auditInsert(db, by, { accountId, action: "user.created", target: { type: "user", id } }),
    ]);
    return user as User;
  } catch (error) {
    // Two concurrent creations with one email: the unique index decides.
    if (isUniqueViolation(error)) throw new ApiError("CONFLICT", EMAIL_TAKEN);
    throw error;
  }
}

/** The account's users, oldest first. */
export async function listUsers(env: Env, accountId: string): Promise<User[]> {
  await getAccount(env, accountId);
  return getDb(env.DB)
    .select()
    .from(users)
    .where(eq(users.accountId, accountId))
    .orderBy(asc(users.createdAt), asc(users.id));
}

/** What `setUserPassword` needs besides `env`. */
export interface SetUserPasswordInput {
  accountId: string;
  userId: string;
  /** The new password, in clear: only its hash is stored. */
  password: string;
  /** Who sets it: `byAdmin(c)` (src/audit/context.ts). */
  by: AuditContext;
}

/** Sets the user's password and ends all of their sessions, in one batch. */
export async function setUserPassword(
  env: Env,
  { accountId, userId, password, by }: SetUserPasswordInput,
): Promise<User> {
  const user = await getUser(env, accountId, userId);
  const passwordHash = await hashPassword(password);
  const db = getDb(env.DB);
  const theUser = and(eq(users.id, user.id), eq(users.accountId, accountId));
  const [, [updated]] = await db.batch([
    auditInsertIf(db, {
      by,
      entry: { accountId, action: "user.updated", target: { type: "user", id: user.id } },
      from: users,
      where: theUser,
    }),
    db.update(users).set({ passwordHash, updatedAt: new Date() }).where(theUser).returning(),
    db.delete(sessions).where(and(eq(sessions.userId, user.id), eq(sessions.accountId, accountId))),
  ]);
  // Deleted between the read and the batch: nothing was left to change.
  if (!updated) throw new ApiError("NOT_FOUND", "User not found");
  return updated;
}

/** Deletes the user and their sessions, in one batch (sessions first: they refer to the user). */
export async function deleteUser(
  env: Env,
  accountId: string,
  userId: string,
  by: AuditContext,
): Promise<{ id: string }> {
  const user = await getUser(env, accountId, userId);
  const db = getDb(env.DB);
  const theUser = and(eq(users.id, user.id), eq(users.accountId, accountId));
  const [, , deleted] = await db.batch([
    // Before the delete, under its condition: written exactly when there is a user to delete.
    auditInsertIf(db, {
      by,
      entry: { accountId, action: "user.deleted", target: { type: "user", id: user.id } },
      from: users,
      where: theUser,
    }),
    db.delete(sessions).where(and(eq(sessions.userId, user.id), eq(sessions.accountId, accountId))),
    db.delete(users).where(theUser).returning({ id: users.id }),
  ]);
  if (deleted.length === 0) throw new ApiError("NOT_FOUND", "User not found");
  return { id: user.id };
}
