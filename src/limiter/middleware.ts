/**
 * Live status, scope and rate limit of a verified key, decided by the key's
 * Durable Object in one round trip (or from a lease): 401 if the key is
 * revoked, expired or its account disabled, 403 if it lacks the route's
 * scope, 429 past its limit. The rate-limit headers go on every response to
 * the request, errors included.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { invalidKey } from "../keys/middleware";
import { requiredScope } from "../keys/scopes";
import { admit } from "./client";
import { rateLimitHeaders } from "./headers";

export function rateLimit(): MiddlewareHandler<AppEnv> {
  return async function rateLimit(c, next) {
    const key = c.var.key;
    if (!key) throw invalidKey();
    const scope = requiredScope(c.req.method, new URL(c.req.url).pathname);
    const decision = await admit(c.env, c.var.config, key, scope, c.var.stats);
    if (decision.outcome === "unauthorized") throw invalidKey();
    if (decision.outcome === "bypassed") return next();
    const headers = decision.quota ? rateLimitHeaders(decision.quota, Date.now(), decision.outcome === "limited") : {};
    c.set("responseHeaders", headers);
    if (decision.outcome === "forbidden") throw new ApiError("FORBIDDEN");
    if (decision.outcome === "limited") throw new ApiError("RATE_LIMITED", undefined, headers);
    await next();
  };
}
