/**
 * Admin route for an account's audit log (CONTRACT §4): newest first, a page
 * at a time, with a cursor that stays stable while entries are added.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { AUDIT_ACTIONS } from "../audit/entries";
import { DEFAULT_AUDIT_PAGE, listAuditLog, MAX_AUDIT_PAGE } from "../audit/list";
import { AccountIdParam, errorResponses, json } from "./schemas";
import { validationHook } from "./validation";

const ActorSchema = z
  .union([
    z.object({ type: z.literal("admin") }),
    z.object({ type: z.literal("user"), email: z.string() }),
    z.object({ type: z.literal("system"), reason: z.string() }),
  ])
  .openapi("AuditActor");

const AuditEntrySchema = z
  .object({
    id: z.string(),
    at: z.string(),
    actor: ActorSchema,
    action: z.enum(AUDIT_ACTIONS),
    target: z.object({ type: z.string(), id: z.string() }),
    ip: z.string().nullable(),
    details: z
      .record(z.string(), z.string().nullable())
      .optional()
      .openapi({ description: "Only on some entries: a leak report's `url` and `source`, a rotation's `newKeyId`." }),
  })
  .openapi("AuditEntry");

const AuditQuery = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${MAX_AUDIT_PAGE}`)
    .transform(Number)
    .pipe(
      z
        .number()
        .min(1, `must be a whole number from 1 to ${MAX_AUDIT_PAGE}`)
        .max(MAX_AUDIT_PAGE, `must be a whole number from 1 to ${MAX_AUDIT_PAGE}`),
    )
    .optional()
    .openapi({
      param: { name: "limit", in: "query" },
      example: "50",
      description: `1 to ${MAX_AUDIT_PAGE} (default ${DEFAULT_AUDIT_PAGE}).`,
    }),
  cursor: z
    .string()
    .max(64, "is not a cursor this API returned")
    .optional()
    .openapi({ param: { name: "cursor", in: "query" }, description: "The previous page's `nextCursor`." }),
});

export const auditRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

auditRoutes.openapi(
  createRoute({
    method: "get",
    path: "/accounts/{accountId}/audit-log",
    summary: "Read an account's audit log",
    description:
      "Every successful write of the admin API or the dashboard, newest first. Pass `nextCursor` back as `cursor` for the next page; it is null on the last one.",
    request: { params: AccountIdParam, query: AuditQuery },
    responses: {
      200: {
        description: "A page of entries",
        ...json(
          z.object({ success: z.literal(true), data: z.array(AuditEntrySchema), nextCursor: z.string().nullable() }),
        ),
      },
      ...errorResponses("No such account"),
    },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await listAuditLog(c.env, c.req.valid("param").accountId, { limit, cursor });
    return c.json({ success: true as const, data: page.entries, nextCursor: page.nextCursor }, 200);
  },
);
