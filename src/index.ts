/**
 * The MoMail edge API gateway on Cloudflare Workers.
 *
 * `/v1/*` is the data plane (data-plane.ts): key check → the account gate
 * (live status, scope, limits and quota: one Durable Object round trip, or a
 * lease) → proxy. Everything else is
 * a Hono app: `/admin`, the operators' API, and `/dashboard`, the account
 * users' pages, and `/secret-scanning/github`, GitHub's leaked-token reports.
 * Every request gets a request id and a log line, and every error leaves as
 * the JSON envelope through `toApiError`/`errorResponse`. The worker also
 * consumes the webhook queues (webhooks/consumer.ts) and runs the cron job
 * (scheduled.ts).
 */
import { env } from "cloudflare:workers";
import { Hono } from "hono";
import { methodNotAllowed } from "hono/method-not-allowed";
import { admin } from "./admin";
import type { AppEnv } from "./app-env";
import { getConfig } from "./config";
import { DASHBOARD_BASE, dashboard } from "./dashboard";
import { serveDataPlane } from "./data-plane";
import { ApiError, errorResponse, toApiError } from "./errors";
import { logError, requestLog } from "./log";
import { requestId } from "./request-id";
import { runScheduled } from "./scheduled";
import { secretScanning } from "./secret-scanning/github";
import { isDataPlane } from "./url";
import { consumeDeadLetters, consumeWebhooks, DEAD_LETTER_QUEUE } from "./webhooks/consumer";
import type { WebhookMessage } from "./webhooks/outbox";

export { BudgetHolder } from "./gate/holder";
export { AccountGate } from "./gate/object";

// Validate the configuration at start-up: `wrangler dev` and `wrangler deploy`
// then fail at once with a message naming the bad variable, instead of the
// first request answering 500.
try {
  getConfig(env);
} catch (error) {
  console.error(String(error instanceof Error ? error.message : error));
  throw error;
}

const app = new Hono<AppEnv>();

// hono/request-id, with the gateway's rule: an id that looks like an API key is replaced.
app.use(requestId());
app.use(requestLog());
app.use(async function loadConfig(c, next) {
  c.set("config", getConfig(c.env));
  await next();
});
app.use(
  methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) =>
      errorResponse(new ApiError("METHOD_NOT_ALLOWED", undefined, { Allow: methods.join(", ") }), c.get("requestId")),
  }),
);

app.route("/admin", admin);
app.route(DASHBOARD_BASE, dashboard);
app.route("/secret-scanning", secretScanning);

app.notFound((c) => errorResponse(new ApiError("NOT_FOUND"), c.get("requestId")));
app.onError((error, c) => {
  const apiError = toApiError(error, c.env);
  if (apiError.status >= 500) logError(c.get("requestId"), error);
  return errorResponse(apiError, c.get("requestId"));
});

export default {
  fetch(request, env, ctx) {
    const url = request.url;
    return isDataPlane(url) ? serveDataPlane(request, url, env, ctx) : app.fetch(request, env, ctx);
  },
  async queue(batch, env, _ctx) {
    if (batch.queue === DEAD_LETTER_QUEUE) await consumeDeadLetters(batch, env);
    else await consumeWebhooks(batch, env);
  },
  async scheduled(controller, env, _ctx) {
    await runScheduled(env, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env, WebhookMessage>;
