/**
 * CSRF protection for the dashboard's forms, in two layers. First, Hono's
 * `csrf()` (mounted in index.ts) refuses any form POST whose Origin, or
 * Sec-Fetch-Site, is not this site. Behind it, every form carries a token in
 * the `_csrf` field. A signed-in user's forms carry a per-session token derived
 * from the session token (SHA-256 of "csrf:" + token): unguessable without the
 * HttpOnly cookie, and nothing to store. The login form has no session yet, so
 * it uses a double-submit token: a random value in a cookie scoped to
 * /dashboard/login that the form must echo. A missing or wrong token is a 403.
 */

import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../app-env";
import { sha256Hex, timingSafeEqual } from "../crypto";
import { ApiError } from "../errors";
import { randomToken } from "./session";

/** The hidden form field every dashboard form carries its token in. */
export const CSRF_FIELD = "_csrf";
export const LOGIN_CSRF_COOKIE = "momail_login_csrf";
const LOGIN_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const LOGIN_TOKEN_TTL_SECONDS = 2 * 60 * 60;

/** The form token of the session whose token this is. */
export function csrfTokenFor(sessionToken: string): Promise<string> {
  return sha256Hex(`csrf:${sessionToken}`);
}

/** The request's form fields; a body that cannot be read as a form is a 400, not a 500. */
export async function readForm(c: Context): Promise<Record<string, unknown>> {
  try {
    return await c.req.parseBody();
  } catch (error) {
    throw new ApiError("BAD_REQUEST", "The form body could not be read", {}, { cause: error });
  }
}

/** A form field's value as a string ("" when absent or a file). */
export async function formField(c: Context, name: string): Promise<string> {
  const body = await readForm(c);
  const value = body[name];
  return typeof value === "string" ? value : "";
}

/** Throws a 403 unless the form's `_csrf` field equals `expected`. */
export async function checkFormToken(c: Context, expected: string | undefined): Promise<void> {
  const sent = await formField(c, CSRF_FIELD);
  if (!expected || !sent || !timingSafeEqual(sent, expected)) {
    throw new ApiError("FORBIDDEN", "The form's CSRF token is missing or wrong");
  }
}

/** The login form's double-submit token: the browser's current one, or a new one set as a cookie. */
export function issueLoginToken(c: Context<AppEnv>): string {
  const current = getCookie(c, LOGIN_CSRF_COOKIE);
  if (current && LOGIN_TOKEN_PATTERN.test(current)) return current;
  const token = randomToken();
  setCookie(c, LOGIN_CSRF_COOKIE, token, {
    httpOnly: true,
    secure: !c.var.config.isDevelopment,
    sameSite: "Strict",
    path: "/dashboard/login",
    maxAge: LOGIN_TOKEN_TTL_SECONDS,
  });
  return token;
}

/** Throws a 403 unless the login form echoes the token of its cookie. */
export function checkLoginToken(c: Context<AppEnv>): Promise<void> {
  const cookie = getCookie(c, LOGIN_CSRF_COOKIE);
  return checkFormToken(c, cookie && LOGIN_TOKEN_PATTERN.test(cookie) ? cookie : undefined);
}
