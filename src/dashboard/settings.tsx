/**
 * Settings, for a signed-in user: the Settings page, and its sections
 * mounted below it: API Keys (api-keys.tsx), Usage (usage.tsx), Webhooks
 * (webhooks.tsx), Audit log (audit-log.tsx). Every route
 * here needs a live session, and every state change its CSRF token.
 */

import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { apiKeyRoutes } from "./api-keys";
import { auditLogRoutes } from "./audit-log";
import { requireFormToken, requireSession } from "./guard";
import { SettingsPage } from "./pages/settings";
import { pageContext, renderPage } from "./render";
import { usageRoutes } from "./usage";
import { webhookRoutes } from "./webhooks";

export const settingsRoutes = new Hono<AppEnv>();

settingsRoutes.use(requireSession(), requireFormToken());

settingsRoutes.get("/", (c) => renderPage(c, <SettingsPage page={pageContext(c)} />));
settingsRoutes.route("/api-keys", apiKeyRoutes);
settingsRoutes.route("/", usageRoutes);
settingsRoutes.route("/webhooks", webhookRoutes);
settingsRoutes.route("/audit-log", auditLogRoutes);
