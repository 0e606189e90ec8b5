/**
 * The dashboard's cookies and the one rule they share. Each is declared here
 * once (name, path, SameSite, lifetime): the session (`momail_session`, every
 * dashboard page), the login form's double-submit token
 * (`momail_login_csrf`) and the trusted-device cookie (`momail_device`),
 * both sent to the login page only. Every one is HttpOnly, and Secure unless
 * ENVIRONMENT is development (where the dashboard is served over
 * http://localhost); setting and deleting go through `cookieOptions`, so no
 * cookie can be written, or deleted, with another rule.
 */
import type { Context } from "hono";
import type { CookieOptions } from "hono/utils/cookie";
import type { AppEnv } from "../../app-env";
import { DASHBOARD_BASE, routes } from "../routes";

/** A cookie of the dashboard: its name and the attributes that never change. */
export interface DashboardCookie {
  name: string;
  path: string;
  sameSite: "Strict" | "Lax";
  /** Its lifetime in seconds; none for the session, whose expiry is the session's own. */
  maxAge?: number;
}

export const SESSION_COOKIE: DashboardCookie = { name: "momail_session", path: DASHBOARD_BASE, sameSite: "Lax" };

export const LOGIN_CSRF_COOKIE: DashboardCookie = {
  name: "momail_login_csrf",
  path: routes.login.href(),
  sameSite: "Strict",
  maxAge: 2 * 60 * 60,
};

export const DEVICE_COOKIE: DashboardCookie = {
  name: "momail_device",
  path: routes.login.href(),
  sameSite: "Strict",
  maxAge: 90 * 86_400,
};

/** The attributes to set `cookie` with (or to delete it with): HttpOnly, and Secure outside development. */
export function cookieOptions(c: Context<AppEnv>, cookie: DashboardCookie, expires?: Date): CookieOptions {
  const { path, sameSite, maxAge } = cookie;
  return { httpOnly: true, secure: !c.var.config.isDevelopment, sameSite, path, maxAge, expires };
}
