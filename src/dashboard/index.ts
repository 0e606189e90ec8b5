/**
 * The dashboard (CONTRACT §5) at /dashboard: server-rendered pages where an
 * account's users log in (auth/), manage their API keys (api-keys/), see
 * their usage (usage/), set up their webhook (webhooks/) and read their
 * audit log (audit-log/), the sections of Settings (settings.tsx). Every URL
 * is declared in routes.ts; the shared frame and form pieces are in ui/.
 * Every response carries strict security headers (a CSP whose only inline
 * style and script are the page's own, by nonce; no framing) and
 * `Cache-Control: no-store`. Form posts are size-limited and CSRF-checked,
 * by Origin here and by token behind it (auth/csrf.ts). Errors, unknown
 * pages and wrong methods are HTML pages of the dashboard's own (errors.tsx).
 */

import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { csrf } from "hono/csrf";
import { methodNotAllowed } from "hono/method-not-allowed";
import { NONCE, secureHeaders } from "hono/secure-headers";
import type { AppEnv } from "../app-env";
import { authRouter } from "./auth/router";
import { dashboardErrors, renderError } from "./errors";
import { settingsRouter } from "./settings";

export { DASHBOARD_BASE } from "./routes";

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

dashboard.route("/", authRouter);
dashboard.route("/", settingsRouter);
dashboard.all("*", (c) => renderError(c, 404));
dashboard.onError(dashboardErrors);
