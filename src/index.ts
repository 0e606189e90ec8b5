/**
 * The MoMail edge API gateway: a Hono app on Cloudflare Workers.
 *
 * Every request gets a request id and a log line. `/v1/*` runs
 * key check → live status, scope and rate limit (one Durable Object round
 * trip) → proxy. `/admin` is the operators' API, `/dashboard` the account
 * users' pages. All errors leave through one handler as the JSON envelope.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { methodNotAllowed } from "hono/method-not-allowed";
import { requestId } from "hono/request-id";
import { admin } from "./admin";
import type { AppEnv } from "./app-env";
import { ConfigError, getConfig } from "./config";
import { dashboard } from "./dashboard";
import { ApiError, errorResponse } from "./errors";
import { keyCheck } from "./keys/middleware";
import { rateLimit } from "./limiter/middleware";
import { logError, requestLog } from "./log";
import { forward } from "./proxy";

export { KeyLimiter } from "./limiter/object";

/** Hono's own exceptions (validators, body parsing) as envelope errors. */
function fromHttpException(error: HTTPException): ApiError {
  if (error.status === 415) return new ApiError("BAD_REQUEST", "body: must be JSON (Content-Type: application/json)");
  if (error.status === 400) {
    const malformed = /malformed json/i.test(error.message);
    return new ApiError("BAD_REQUEST", malformed ? "body: is not valid JSON" : `body: ${error.message}`);
  }
  if (error.status === 413) return new ApiError("PAYLOAD_TOO_LARGE");
  if (error.status === 401) return new ApiError("UNAUTHORIZED");
  if (error.status === 404) return new ApiError("NOT_FOUND");
  return new ApiError("INTERNAL_ERROR");
}

/** Any thrown value as the ApiError to answer with. */
function toApiError(error: unknown, env: Env): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) return fromHttpException(error);
  if (error instanceof ConfigError) {
    // The variable's name helps a developer; in production it stays in the logs.
    return new ApiError(
      "INTERNAL_ERROR",
      env.ENVIRONMENT === "development" ? error.message : "The gateway is misconfigured",
    );
  }
  return new ApiError("INTERNAL_ERROR");
}

const app = new Hono<AppEnv>();

app.use(requestId({ limitLength: 128 }));
app.use(requestLog());
app.use(async function loadConfig(c, next) {
  c.set("config", getConfig(c.env));
  await next();
});
app.use(
  methodNotAllowed({
    app,
    onMethodNotAllowed: (c, methods) =>
      errorResponse(c, new ApiError("METHOD_NOT_ALLOWED", undefined, { Allow: methods.join(", ") })),
  }),
);

app.route("/admin", admin);
app.route("/dashboard", dashboard);
app.use("/v1/*", keyCheck(), rateLimit());
app.all("/v1/*", forward);

app.notFound((c) => errorResponse(c, new ApiError("NOT_FOUND")));
app.onError((error, c) => {
  const apiError = toApiError(error, c.env);
  if (apiError.status >= 500) logError(c.var.requestId, error);
  return errorResponse(c, apiError, c.var.responseHeaders);
});

export default app;
