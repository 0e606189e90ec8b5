/**
 * The dashboard (CONTRACT §5) at /dashboard: server-rendered pages where an
 * account's users log in, manage their API keys, see their usage, set up
 * their webhook and read their audit log (the sections of Settings).
 * Every response carries strict security headers (a CSP whose only inline
 * style and script are the page's own, by nonce; no framing) and
 * `Cache-Control: no-store`. Form posts are size-limited and CSRF-checked,
 * by Origin here and by token behind it (csrf.ts). Errors, unknown pages and
 * wrong methods are HTML pages of the dashboard's own (errors.tsx).
 */

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { csrf } from "hono/csrf";
import { methodNotAllowed } from "hono/method-not-allowed";
import { NONCE, secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../app-env";
import { authRoutes, HOME_PATH } from "./auth";
import { dashboardErrors, renderError } from "./errors";
import { LOGIN_PATH } from "./guard";
import { findSession, sessionToken } from "./session";
import { settingsRoutes } from "./settings";

const MAX_FORM_BYTES = 16 * 1024;

export const dashboard = new Hono<AppEnv>();

dashboard.use(
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      styleSrc: [NONCE],
      scriptSrc: [NONCE],
      imgSrc: ["'self'", "data:"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
    },
    xFrameOptions: "DENY",
    referrerPolicy: "same-origin",
  }),
  async function noStore(c, next) {
    await next();
    c.header("Cache-Control", "no-store");
  },
  methodNotAllowed({
    app: dashboard,
    onMethodNotAllowed: (c, methods) => renderError(c, 405, { Allow: methods.join(", ") }),
  }),
  bodyLimit({ maxSize: MAX_FORM_BYTES, onError: (c) => renderError(c, 413) }),
  csrf(),
);

dashboard.get("/", async (c) => {
  const signedIn = await findSession(c.env, sessionToken(c));
  return c.redirect(signedIn ? HOME_PATH : LOGIN_PATH, 303);
});
dashboard.route("/", authRoutes);
dashboard.route("/settings", settingsRoutes);
dashboard.all("*", (c) => renderError(c, 404));
dashboard.onError(dashboardErrors);
