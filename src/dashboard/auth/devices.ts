/**
 * Trusted devices for the login throttle (OWASP "device cookies"). A browser
 * that logs in successfully as an email receives a cookie `momail_device`
 * holding a random device id, signed (HMAC-SHA-256, Hono's signed cookies)
 * under a key derived from KEY_PEPPER and that email: it proves "this browser
 * knew this email's password before" and is worth nothing for any other
 * email. It is not a credential (the password is still required); it only
 * gives the browser its own failure count, apart from the per-email lockout
 * that strangers' guesses trigger (see throttle.ts). HttpOnly,
 * SameSite=Strict, sent only to the login page, kept 90 days from the last
 * login (DEVICE_COOKIE, cookies.ts). Rotating KEY_PEPPER makes every browser
 * untrusted until its next login.
 */

import type { Context } from "hono";
import { getSignedCookie, setSignedCookie } from "hono/cookie";
import type { AppEnv } from "../../app-env";
import { hmacHex } from "../../crypto";
import { cookieOptions, DEVICE_COOKIE } from "./cookies";
import { isToken, randomToken } from "./tokens";

/** The signing key of `email`'s device cookies: only this gateway can make one, and only for that email. */
function signingKey(c: Context<AppEnv>, email: string): Promise<string> {
  return hmacHex(c.var.config.KEY_PEPPER, `dashboard-device:${email}`);
}

/** The id of the request's device cookie if it was issued for `email`, else null. */
export async function trustedDevice(c: Context<AppEnv>, email: string): Promise<string | null> {
  const id = await getSignedCookie(c, await signingKey(c, email), DEVICE_COOKIE.name);
  return isToken(id) ? id : null;
}

/** After a successful login: (re)issues the browser's device cookie for `email`, keeping its id if it had one. */
export async function trustDevice(c: Context<AppEnv>, email: string, device: string | null): Promise<void> {
  const key = await signingKey(c, email);
  await setSignedCookie(c, DEVICE_COOKIE.name, device ?? randomToken(), key, cookieOptions(c, DEVICE_COOKIE));
}
