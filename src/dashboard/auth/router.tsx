/**
 * Logging in and out, and the dashboard's front door. `/dashboard` leads to
 * the login page, or to the home page (Settings > API Keys) when signed in.
 * The login form posts email and password with its double-submit CSRF
 * token; the attempt is booked with the throttle first (as from a trusted
 * device if the browser carries that email's device cookie), then the
 * credentials are checked. Whatever was wrong, a disabled account included,
 * the answer is "Invalid email or password". A success starts a session
 * (replacing any the browser had), trusts the browser for that email, and
 * lands on the home page. Logging out (POST) deletes the session and its
 * cookie.
 */

import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { clientIp } from "../../audit/context";
import { HOME, routes } from "../routes";
import { readForm, textOf } from "../ui/form-body";
import { pageContext, renderPage } from "../ui/render";
import { verifyCredentials } from "./credentials";
import { checkLoginToken, dropLoginToken, issueLoginToken } from "./csrf";
import { trustDevice, trustedDevice } from "./devices";
import { requireFormToken, requireSession } from "./guard";
import { LoginPage } from "./login-page";
import { clearSessionCookie, createSession, endSession, findSession, sessionToken, setSessionCookie } from "./session";
import { attemptSucceeded, beginAttempt, clientAddress } from "./throttle";

const INVALID_CREDENTIALS = "Invalid email or password";
const MAX_EMAIL_LENGTH = 254;

export const authRouter = new Hono<AppEnv>();

authRouter.get(routes.root.pattern, async (c) => {
  const signedIn = await findSession(c.env, sessionToken(c));
  return c.redirect(signedIn ? HOME.href() : routes.login.href(), 303);
});

authRouter.get(routes.login.pattern, async (c) => {
  if (await findSession(c.env, sessionToken(c))) return c.redirect(HOME.href(), 303);
  const notice = c.req.query("logged_out") !== undefined ? "You have been logged out." : undefined;
  const page = <LoginPage nonce={pageContext(c).nonce} csrfToken={issueLoginToken(c)} notice={notice} />;
  return renderPage(c, page);
});

authRouter.post(routes.login.pattern, async (c) => {
  await checkLoginToken(c);
  const body = await readForm(c);
  const email = textOf(body.email)
    .trim()
    .toLowerCase()
    .slice(0, MAX_EMAIL_LENGTH + 1);
  const password = textOf(body.password);
  const form = (status: 400 | 401 | 429, error: string, headers: Record<string, string> = {}) => {
    const page = <LoginPage nonce={pageContext(c).nonce} csrfToken={issueLoginToken(c)} email={email} error={error} />;
    return renderPage(c, page, status, headers);
  };
  if (!email || !password) return form(400, "Enter your email and password.");

  const attempt = { email, ip: clientAddress(c), device: await trustedDevice(c, email) };
  const booking = await beginAttempt(c.env, attempt);
  if (!booking.ok) {
    const minutes = Math.ceil(booking.retryAfterSeconds / 60);
    const wait = minutes === 1 ? "a minute" : `${minutes} minutes`;
    return form(429, `Too many failed login attempts. Please try again in ${wait}.`, {
      "Retry-After": String(booking.retryAfterSeconds),
    });
  }
  // The audit log keeps the client's full address; the throttle counts IPv6 by /64.
  const ip = clientIp(c);
  const user = email.length <= MAX_EMAIL_LENGTH ? await verifyCredentials(c.env, email, password, ip) : null;
  if (!user) return form(401, INVALID_CREDENTIALS);
  await attemptSucceeded(c.env, attempt, ip);
  await trustDevice(c, email, attempt.device);

  await endSession(c.env, sessionToken(c));
  const session = await createSession(c.env, user);
  setSessionCookie(c, session.token, session.expiresAt);
  dropLoginToken(c);
  return c.redirect(HOME.href(), 303);
});

authRouter.post(routes.logout.pattern, requireSession(), requireFormToken(), async (c) => {
  await endSession(c.env, sessionToken(c));
  clearSessionCookie(c);
  return c.redirect(routes.login.href({ logged_out: true }), 303);
});
