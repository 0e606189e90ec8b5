/**
 * Admin route for an account's webhook signing secret (CONTRACT §4, §7):
 * rolling it without downtime. Setting the URL itself is the account's
 * PATCH (accounts.ts).
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { byAdmin } from "../audit/context";
import { rollWebhookSecret } from "../webhooks/rolling";
import { AccountIdParam, ErrorEnvelope, envelope, errorResponses, json, RolledWebhookSecretSchema } from "./schemas";
import { validationHook } from "./validation";

export const webhookRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

webhookRoutes.openapi(
  createRoute({
    method: "post",
    path: "/accounts/{accountId}/webhook-secret",
    summary: "Roll an account's webhook signing secret",
    description:
      "Issues a new `webhookSecret`, shown only in this response. For 24 hours the secret it replaces keeps signing beside it: every webhook carries two `v1` values in `MoMail-Signature` and in `webhook-signature`, the new one first; then the previous secret is forgotten. Rolling again within those 24 hours replaces the previous secret. Adds one `webhook.secret_rolled` audit entry. No request body.",
    request: { params: AccountIdParam },
    responses: {
      201: { description: "Rolled", ...json(envelope(RolledWebhookSecretSchema)) },
      409: { description: "The account has no webhook URL, so no secret to roll", ...json(ErrorEnvelope) },
      ...errorResponses("No such account"),
    },
  }),
  async (c) => {
    const { webhookSecret } = await rollWebhookSecret({
      env: c.env,
      config: c.var.config,
      accountId: c.req.valid("param").accountId,
      by: byAdmin(c),
    });
    return c.json({ success: true as const, data: { webhookSecret } }, 201);
  },
);
