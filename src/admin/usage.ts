/**
 * `GET /admin/accounts/{accountId}/usage` (CONTRACT §4): exact usage per key
 * and UTC hour or day over a range, optionally for one key, as JSON or, with
 * `Accept: text/csv`, as CSV for billing and finance. Counts include every
 * request answered 5 seconds or more before the call.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { USAGE_FIELDS } from "../gate/usage";
import { getAccount } from "../operations/accounts";
import { type Granularity, readUsage, type UsageBucket, usageCsv } from "../operations/usage";
import { AccountIdParam, envelope, errorResponses } from "./schemas";
import { validationHook } from "./validation";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The longest range per granularity: about a month of hours, a year of days. */
const MAX_RANGE: Record<Granularity, { ms: number; words: string }> = {
  hour: { ms: 31 * DAY, words: "31 days" },
  day: { ms: 366 * DAY, words: "366 days" },
};
const DEFAULT_RANGE: Record<Granularity, number> = { hour: DAY, day: 30 * DAY };

const Instant = z
  .union([z.iso.datetime({ offset: true }), z.iso.date()], {
    error: "must be an ISO-8601 date-time, e.g. 2027-01-31T00:00:00Z",
  })
  .openapi({ type: "string", format: "date-time" });

const UsageQuery = z.object({
  granularity: z.enum(["hour", "day"], { error: 'must be "hour" or "day"' }).default("hour"),
  from: Instant.optional(),
  to: Instant.optional(),
  keyId: z.string().max(64).optional(),
});

const UsageRowSchema = z
  .object({
    start: z.string(),
    keyId: z.string(),
    ...Object.fromEntries(USAGE_FIELDS.map((field) => [field, z.number()])),
  })
  .openapi("UsageRow");

const UsageSchema = z
  .object({ granularity: z.enum(["hour", "day"]), from: z.string(), to: z.string(), rows: z.array(UsageRowSchema) })
  .openapi("Usage");

const iso = (ms: number) => new Date(ms).toISOString();

function view(bucket: UsageBucket) {
  const { start, keyId, ...counts } = bucket;
  return { start: iso(start), keyId, ...counts };
}

export const usageRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

usageRoutes.openapi(
  createRoute({
    method: "get",
    path: "/accounts/{accountId}/usage",
    summary: "Usage per key and hour or UTC day",
    description:
      "Exact counts of admitted requests, 429 RATE_LIMITED, 429 QUOTA_EXCEEDED and 403, and of what the origin answered (2xx to 5xx, and failures: 502/504), for every request answered 5 seconds or more before the call. `from` defaults to 24 hours (hour) or 30 days (day) before `to` (default now); at most 31 days of hours or 366 days of days. `Accept: text/csv` answers CSV.",
    request: { params: AccountIdParam, query: UsageQuery },
    responses: {
      200: {
        description: "Rows with any count, oldest first",
        content: { "application/json": { schema: envelope(UsageSchema) }, "text/csv": { schema: z.string() } },
      },
      ...errorResponses("No such account"),
    },
  }),
  async (c) => {
    const { accountId } = c.req.valid("param");
    const { granularity, from: fromText, to: toText, keyId } = c.req.valid("query");
    const to = toText ? Date.parse(toText) : Date.now();
    const from = fromText ? Date.parse(fromText) : to - DEFAULT_RANGE[granularity];
    if (from >= to) throw new ApiError("BAD_REQUEST", "from: must be before to");
    if (to - from > MAX_RANGE[granularity].ms) {
      throw new ApiError(
        "BAD_REQUEST",
        `from: the range is at most ${MAX_RANGE[granularity].words} for granularity=${granularity}`,
      );
    }
    await getAccount(c.env, accountId);
    const rows = await readUsage(c.env, { accountId, granularity, from, to, keyId });
    if (c.req.header("accept")?.includes("text/csv")) {
      return c.body(usageCsv(rows), 200, {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": `attachment; filename="usage-${accountId}-${granularity}.csv"`,
      });
    }
    const data = { granularity, from: iso(from), to: iso(to), rows: rows.map(view) };
    return c.json({ success: true as const, data }, 200);
  },
);
