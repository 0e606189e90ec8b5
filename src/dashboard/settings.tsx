/**
 * Settings, for a signed-in user: the Settings page, and its sections, each
 * a folder of its own: API Keys (api-keys/), Usage (usage/), Webhooks
 * (webhooks/) and Audit log (audit-log/). Every route below /settings, an
 * unknown one included, needs a live session (else a 303 to the login
 * page), and every state change the session's CSRF token.
 */

import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { apiKeysRouter } from "./api-keys/router";
import { auditLogRouter } from "./audit-log/router";
import { requireFormToken, requireSession } from "./auth/guard";
import { routes } from "./routes";
import { pageContext, renderPage } from "./ui/render";
import { SettingsPage } from "./ui/settings";
import { usageRouter } from "./usage/router";
import { webhooksRouter } from "./webhooks/router";

export const settingsRouter = new Hono<AppEnv>();

// `/settings/*` is /settings itself and everything below it.
settingsRouter.use(`${routes.settings.pattern}/*`, requireSession(), requireFormToken());

settingsRouter.get(routes.settings.pattern, (c) => renderPage(c, <SettingsPage page={pageContext(c)} />));
settingsRouter.route("/", apiKeysRouter);
settingsRouter.route("/", usageRouter);
settingsRouter.route("/", webhooksRouter);
settingsRouter.route("/", auditLogRouter);
