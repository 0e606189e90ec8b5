/**
 * Trusted devices for the login throttle (OWASP "device cookies"). A browser
 * that logs in successfully as an email receives a cookie `momail_device`
 * holding a random device id, signed (HMAC-SHA-256, Hono's signed cookies)
 * under a key derived from KEY_PEPPER and that email: it proves "this browser
 * knew this email's password before" and is worth nothing for any other
 * email. It is not a credential (the password is still required); it only
 * gives the browser its own failure count, apart from the per-email lockout
 * that strangers' guesses trigger (see throttle.ts). HttpOnly,
 * SameSite=Strict, sent only to /dashboard/login, kept 90 days from the last
 * login. Rotating KEY_PEPPER makes every browser untrusted until its next login.
 */

import type { Context } from "hono";
import { getSignedCookie, setSignedCookie } from "hono/cookie";
import type { AppEnv } from "../app-env";
import { hmacHex } from "../crypto";
import { LOGIN_PATH } from "./guard";
import { randomToken } from "./session";

export const DEVICE_COOKIE = "momail_device";
const DEVICE_TTL_SECONDS = 90 * 86_400;
const DEVICE_ID = /^[A-Za-z0-9_-]{43}$/;

/** The signing key of `email`'s device cookies: only this gateway can make one, and only for that email. */
function signingKey(c: Context<AppEnv>, email: string): Promise<string> {
  return hmacHex(c.var.config.KEY_PEPPER, `dashboard-device:${email}`);
}

/** The id of the request's device cookie if it was issued for `email`, else null. */
export async function trustedDevice(c: Context<AppEnv>, email: string): Promise<string | null> {
  const id = await getSignedCookie(c, await signingKey(c, email), DEVICE_COOKIE);
  return typeof id === "string" && DEVICE_ID.test(id) ? id : null;
}

/** After a successful login: (re)issues the browser's device cookie for `email`, keeping its id if it had one. */
export async function trustDevice(c: Context<AppEnv>, email: string, device: string | null): Promise<void> {
  await setSignedCookie(c, DEVICE_COOKIE, device ?? randomToken(), await signingKey(c, email), {
    httpOnly: true,
    secure: !c.var.config.isDevelopment,
    sameSite: "Strict",
    path: LOGIN_PATH,
    maxAge: DEVICE_TTL_SECONDS,
  });
}
