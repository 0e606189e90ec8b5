/**
 * Live status, scope and rate limit of a verified key, decided by the key's
 * Durable Object in one round trip (or from a lease): 401 if the key is
 * revoked, expired or its account disabled, 403 if it lacks the route's
 * scope, 429 past its limit. Returns the rate-limit headers every response
 * to the request carries, errors included.
 */
import type { Config } from "../config";
import { ApiError } from "../errors";
import { invalidKey } from "../keys/check";
import type { KeyRecord } from "../keys/records";
import { requiredScope } from "../keys/scopes";
import type { RequestStats } from "../stats";
import { admit, type Decision } from "./client";
import { rateLimitHeaders } from "./headers";

/** Thrown refusals carry the rate-limit headers too. */
const refuse = (code: "FORBIDDEN" | "RATE_LIMITED", headers: Record<string, string>) =>
  new ApiError(code, undefined, headers);

type RateHeaders = Record<string, string> | undefined;

/**
 * The rate-limit headers for an admitted request (none if the limiter was
 * bypassed), or a thrown 401/403/429; synchronous when a lease answers.
 */
export function authorize(
  method: string,
  pathname: string,
  env: Env,
  config: Config,
  key: KeyRecord,
  stats: RequestStats,
  waitUntil: (promise: Promise<unknown>) => void,
): RateHeaders | Promise<RateHeaders> {
  const decision = admit(env, config, key, requiredScope(method, pathname), stats, waitUntil);
  return decision instanceof Promise ? decision.then(headersFor) : headersFor(decision);
}

function headersFor(decision: Decision): RateHeaders {
  if (decision.outcome === "unauthorized") throw invalidKey();
  if (decision.outcome === "bypassed") return undefined;
  const headers = decision.quota ? rateLimitHeaders(decision.quota, Date.now(), decision.outcome === "limited") : {};
  if (decision.outcome === "forbidden") throw refuse("FORBIDDEN", headers);
  if (decision.outcome === "limited") throw refuse("RATE_LIMITED", headers);
  return headers;
}
