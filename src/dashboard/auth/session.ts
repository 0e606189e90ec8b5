/**
 * Dashboard sessions. Logging in creates a random 256-bit token that only the
 * user's browser holds, in the HttpOnly session cookie (cookies.ts); D1 keeps
 * only its SHA-256, with the user, the account and an expiry 12 hours on. A
 * session is live while it has not expired, its user exists and its account
 * is not disabled; logging out deletes it. `requireSession` (guard.ts) guards
 * the protected pages: without a live session they redirect (303) to the login.
 */
import { and, eq, gt, lt } from "drizzle-orm";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv, DashboardSession } from "../../app-env";
import { sha256Hex } from "../../crypto";
import { getDb } from "../../db/client";
import { accounts, sessions, users } from "../../db/schema";
import { newId } from "../../ids";
import { cookieOptions, SESSION_COOKIE } from "./cookies";
import { isToken, randomToken } from "./tokens";

export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** Starts a session for the user; expired sessions of anyone are cleared on the way. */
export async function createSession(env: Env, user: { id: string; accountId: string }) {
  const token = randomToken();
  const now = new Date();
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  const db = getDb(env.DB);
  await db.batch([
    db.delete(sessions).where(lt(sessions.expiresAt, now)),
    db.insert(sessions).values({
      id: newId("ses"),
      tokenHash: await sha256Hex(token),
      userId: user.id,
      accountId: user.accountId,
      expiresAt,
      createdAt: now,
    }),
  ]);
  return { token, expiresAt };
}

/** The live session for a cookie's token, or null (unknown, expired, or its account disabled). */
export async function findSession(
  env: Env,
  token: string | undefined,
): Promise<Omit<DashboardSession, "csrfToken"> | null> {
  if (!isToken(token)) return null;
  const [row] = await getDb(env.DB)
    .select({
      id: sessions.id,
      userId: sessions.userId,
      accountId: sessions.accountId,
      accountName: accounts.name,
      email: users.email,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(accounts, eq(accounts.id, sessions.accountId))
    .where(
      and(
        eq(sessions.tokenHash, await sha256Hex(token)),
        gt(sessions.expiresAt, new Date()),
        eq(accounts.disabled, false),
      ),
    )
    .limit(1);
  return row ?? null;
}

/** Deletes the session of this token, if there is one. */
export async function endSession(env: Env, token: string | undefined): Promise<void> {
  if (!isToken(token)) return;
  await getDb(env.DB)
    .delete(sessions)
    .where(eq(sessions.tokenHash, await sha256Hex(token)));
}

/** The session token from the request's cookie, if any. */
export function sessionToken(c: Context): string | undefined {
  return getCookie(c, SESSION_COOKIE.name);
}

/** Sets the session cookie, until the session expires. */
export function setSessionCookie(c: Context<AppEnv>, token: string, expiresAt: Date): void {
  setCookie(c, SESSION_COOKIE.name, token, cookieOptions(c, SESSION_COOKIE, expiresAt));
}

/** Tells the browser to forget the session cookie. */
export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, SESSION_COOKIE.name, cookieOptions(c, SESSION_COOKIE));
}
