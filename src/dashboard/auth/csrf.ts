/**
 * CSRF protection for the dashboard's forms, in two layers. First, Hono's
 * `csrf()` (mounted in index.ts) refuses any form POST whose Origin, or
 * Sec-Fetch-Site, is not this site. Behind it, every form carries a token in
 * the `_csrf` field (CSRF_FIELD). A signed-in user's forms carry a
 * per-session token derived from the session token (SHA-256 of "csrf:" +
 * token): unguessable without the HttpOnly cookie, and nothing to store. The
 * login form has no session yet, so it uses a double-submit token: a random
 * value in a cookie sent to the login page only (cookies.ts) that the form
 * must echo. A missing or wrong token is a 403.
 */

import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../../app-env";
import { sha256Hex, timingSafeEqual } from "../../crypto";
import { ApiError } from "../../errors";
import { CSRF_FIELD } from "../ui/fields";
import { readForm, textOf } from "../ui/form-body";
import { cookieOptions, LOGIN_CSRF_COOKIE } from "./cookies";
import { isToken, randomToken } from "./tokens";

/** The form token of the session whose token this is. */
export function csrfTokenFor(sessionToken: string): Promise<string> {
  return sha256Hex(`csrf:${sessionToken}`);
}

/** Throws a 403 unless the form's `_csrf` field equals `expected`. */
export async function checkFormToken(c: Context, expected: string | undefined): Promise<void> {
  const sent = textOf((await readForm(c))[CSRF_FIELD]);
  if (!expected || !sent || !timingSafeEqual(sent, expected)) {
    throw new ApiError("FORBIDDEN", "The form's CSRF token is missing or wrong");
  }
}

/** The login form's double-submit token from its cookie, if the browser has a well-formed one. */
function loginToken(c: Context<AppEnv>): string | undefined {
  const cookie = getCookie(c, LOGIN_CSRF_COOKIE.name);
  return isToken(cookie) ? cookie : undefined;
}

/** The login form's double-submit token: the browser's current one, or a new one set as a cookie. */
export function issueLoginToken(c: Context<AppEnv>): string {
  const current = loginToken(c);
  if (current) return current;
  const token = randomToken();
  setCookie(c, LOGIN_CSRF_COOKIE.name, token, cookieOptions(c, LOGIN_CSRF_COOKIE));
  return token;
}

/** Throws a 403 unless the login form echoes the token of its cookie. */
export function checkLoginToken(c: Context<AppEnv>): Promise<void> {
  return checkFormToken(c, loginToken(c));
}

/** After a login: the double-submit token has done its work. */
export function dropLoginToken(c: Context<AppEnv>): void {
  deleteCookie(c, LOGIN_CSRF_COOKIE.name, cookieOptions(c, LOGIN_CSRF_COOKIE));
}
