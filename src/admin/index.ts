/**
 * The admin API (CONTRACT §4) at /admin: Bearer ADMIN_TOKEN, compared in
 * constant time; when ADMIN_TOKEN is unset the whole of /admin answers 404.
 * Its OpenAPI document is served at /admin/openapi.json and rendered on the
 * server as a reference page at /admin/docs (reference.tsx: no script, a
 * strict CSP); neither needs the token (they describe the API, they do not
 * use it).
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bearerAuth } from "hono/bearer-auth";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../app-env";
import { secretsEqual } from "../crypto";
import { ApiError } from "../errors";
import { accountRoutes } from "./accounts";
import { auditRoutes } from "./audit";
import { keyRoutes } from "./keys";
import { leakedKeyRoutes } from "./leaked-keys";
import { type ApiDocument, apiReference, referenceHeaders } from "./reference";
import { usageRoutes } from "./usage";
import { userRoutes } from "./users";
import { validationHook } from "./validation";
import { webhookRoutes } from "./webhooks";

const verifyToken: MiddlewareHandler<AppEnv> = bearerAuth({
  verifyToken: (token, c) => secretsEqual(token, (c as Context<AppEnv>).get("config").ADMIN_TOKEN ?? ""),
});

/** 401 for a missing, malformed or wrong token. */
const adminAuth: MiddlewareHandler<AppEnv> = async function adminAuth(c, next) {
  try {
    await verifyToken(c, next);
  } catch (error) {
    // bearerAuth answers a malformed header with 400; for us any bad credential is a 401.
    if (error instanceof HTTPException) {
      throw new ApiError("UNAUTHORIZED", "Invalid or missing admin token", {
        "WWW-Authenticate": 'Bearer realm="admin"',
      });
    }
    throw error;
  }
};

export const admin = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

// 404 for everything when the admin API is switched off (ADMIN_TOKEN unset).
admin.use("*", async function adminEnabled(c, next) {
  if (!c.get("config").ADMIN_TOKEN) throw new ApiError("NOT_FOUND");
  await next();
});

const DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "MoMail gateway admin API",
    version: "1.0.0",
    description:
      "Accounts, dashboard users, API keys, webhook secrets, the audit log and leaked-key reports. Authenticate with `Authorization: Bearer {ADMIN_TOKEN}`.",
  },
  servers: [{ url: "/admin" }],
  security: [{ adminToken: [] }],
};

admin.doc31("/openapi.json", DOCUMENT);
admin.openAPIRegistry.registerComponent("securitySchemes", "adminToken", { type: "http", scheme: "bearer" });
admin.get(
  "/docs",
  referenceHeaders,
  apiReference(() => admin.getOpenAPI31Document(DOCUMENT) as ApiDocument, "/admin/openapi.json"),
);

// Registered after the document, so the document itself needs no token.
admin.use("*", adminAuth);
admin.route("/", accountRoutes);
admin.route("/", userRoutes);
admin.route("/", keyRoutes);
admin.route("/", usageRoutes);
admin.route("/", auditRoutes);
admin.route("/", leakedKeyRoutes);
admin.route("/", webhookRoutes);
