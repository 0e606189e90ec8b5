/**
 * `POST /admin/leaked-keys` (CONTRACT §4, §7): an operator reports keys seen
 * in the wild (a support ticket, a paste site). Handled exactly as a
 * secret-scanning report (src/secret-scanning/report.ts): each key is
 * labelled, and each key the gateway issued is marked leaked, audited,
 * announced by webhook, and revoked unless LEAKED_KEY_ACTION is `notify`.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { clientIp } from "../audit/context";
import { bySystem } from "../audit/entries";
import { handleReport } from "../secret-scanning/report";
import { envelope, errorResponses, json } from "./schemas";
import { validationHook } from "./validation";

/** What the audit log says made the change (the actor is the gateway acting on the report). */
export const ADMIN_REPORT_REASON = "leaked-keys-report";
const MAX_KEYS = 1_000;

const LeakedKeysBody = z.strictObject({
  keys: z
    .array(z.string().max(1_000, "must be at most 1000 characters"))
    .min(1, "must list at least one key")
    .max(MAX_KEYS, `must list at most ${MAX_KEYS} keys`)
    .openapi({ example: ["mk_a1b2c3d4_000000000000000000000000"] }),
  source: z
    .string()
    .trim()
    .min(1, "must not be empty")
    .max(200, "must be at most 200 characters")
    .optional()
    .openapi({ description: "Where the keys were seen; kept in the audit entries.", example: "support ticket 4411" }),
});

const VerdictSchema = z
  .object({
    prefix: z.string().nullable().openapi({ description: "The key's prefix; null when the string is not key-shaped." }),
    label: z.enum(["true_positive", "false_positive"]),
    revoked: z.boolean().openapi({ description: "Whether the key is revoked now that the report is handled." }),
  })
  .openapi("LeakVerdict");

const { 404: _notFound, ...errors } = errorResponses("");

export const leakedKeyRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

leakedKeyRoutes.openapi(
  createRoute({
    method: "post",
    path: "/leaked-keys",
    summary: "Report leaked keys",
    description:
      "One verdict per key, in order. `true_positive` for a key the gateway issued (live, expired or revoked): it is marked leaked and, unless LEAKED_KEY_ACTION is `notify`, revoked at once. A key reported before changes nothing more.",
    request: { body: { ...json(LeakedKeysBody), required: true } },
    responses: { 200: { description: "The verdicts", ...json(envelope(z.array(VerdictSchema))) }, ...errors },
  }),
  async (c) => {
    const { keys, source } = c.req.valid("json");
    const reported = keys.map((token) => ({ token, url: null, source: source ?? "admin" }));
    const verdicts = await handleReport(c.env, c.var.config, reported, bySystem(ADMIN_REPORT_REASON, clientIp(c)));
    const data = verdicts.map(({ prefix, label, revoked }) => ({ prefix, label, revoked }));
    return c.json({ success: true as const, data }, 200);
  },
);
