/**
 * The guards in front of every signed-in page and form. `requireSession`
 * loads the session from its cookie and hands it down as `c.var.session`;
 * without a live one it redirects (303) to the login page, for a GET and a
 * POST alike, and drops a stale cookie. `requireFormToken` then refuses a
 * POST whose `_csrf` field is not the session's token with a 403.
 */

import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../app-env";
import { routes } from "../routes";
import { checkFormToken, csrfTokenFor } from "./csrf";
import { clearSessionCookie, findSession, sessionToken } from "./session";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Redirects to the login page unless the request carries a live session. */
export function requireSession(): MiddlewareHandler<AppEnv> {
  return async function requireSession(c, next) {
    const token = sessionToken(c);
    const session = await findSession(c.env, token);
    if (!session || !token) {
      if (token) clearSessionCookie(c);
      return c.redirect(routes.login.href(), 303);
    }
    c.set("session", { ...session, csrfToken: await csrfTokenFor(token) });
    await next();
  };
}

/** Refuses (403) a state-changing request whose form token is not the session's. */
export function requireFormToken(): MiddlewareHandler<AppEnv> {
  return async function requireFormToken(c, next) {
    if (!SAFE_METHODS.has(c.req.method)) await checkFormToken(c, c.var.session.csrfToken);
    await next();
  };
}
