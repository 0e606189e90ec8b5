/**
 * One structured JSON log line per request, for Workers Logs / Logpush:
 * request id, trace id, account and key ids (never the key itself), route,
 * status, latency, which cache layer answered, storage operations and the
 * rate-limit outcome. Errors are logged with their cause.
 */
import { DrizzleQueryError } from "drizzle-orm/errors";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";
import { newStats, type RequestStats } from "./stats";
import { newTraceId, parseTraceparent } from "./trace";
import { pathOf } from "./url";

/** Anything shaped like an API key, wherever a client put it. */
const KEY_SHAPE = /mk_[a-z0-9]{8}_[A-Za-z0-9]{24}/g;

/** The route as logged: the path without its query string (which may carry anything), keys redacted. */
export function route(url: string): string {
  return pathOf(url).replace(KEY_SHAPE, "mk_[redacted]");
}

export interface RequestLogEntry {
  requestId: string;
  /** The W3C trace-id: the caller's, or the one the gateway started (trace.ts). */
  traceId?: string;
  method: string;
  url: string;
  status: number;
  started: number;
  accountId?: string;
  keyId?: string;
  stats: RequestStats;
}

/** Writes the request's one log line. */
export function logRequest(entry: RequestLogEntry): void {
  console.log(
    JSON.stringify({
      type: "request",
      requestId: entry.requestId,
      traceId: entry.traceId,
      method: entry.method,
      route: route(entry.url),
      status: entry.status,
      latencyMs: Date.now() - entry.started,
      accountId: entry.accountId,
      keyId: entry.keyId,
      ...entry.stats,
    }),
  );
}

/** A warning: something failed that the request survived (a cache read or write, a best-effort purge). */
export function logWarning(message: string, fields: Record<string, unknown> = {}, requestId?: string): void {
  console.warn(JSON.stringify({ type: "warning", requestId, message, ...fields }));
}

/** The log line of background work a request left behind (a lease settlement), with its storage operations. */
export function logBackground(requestId: string, task: string, stats: RequestStats): void {
  console.log(JSON.stringify({ type: "background", requestId, task, ...stats }));
}

/**
 * The account gate's own work (starting, reading a policy, persisting,
 * rolling up to D1), with the storage operations it made; a persist also
 * says how long the gate had calls open since the last one (`busyMs`: the
 * time it could not hibernate, what Durable Object duration bills) and how
 * many calls it answered, and the idempotency rows its claims and settles
 * read and wrote meanwhile; a sweep says the idempotency rows it read and deleted.
 */
export function logGate(entry: {
  event: "start" | "persist" | "rollup" | "load" | "sweep" | "alarm";
  accountId?: string;
  storageWrites?: number;
  idempotencyReads?: number;
  idempotencyWrites?: number;
  read?: number;
  deleted?: number;
  done?: boolean;
  d1Writes?: number;
  d1Queries?: number;
  rows?: number;
  busyMs?: number;
  calls?: number;
  alarmsSet?: number;
}) {
  console.log(JSON.stringify({ type: "gate", ...entry }));
}

/** A location holder's own line (at each settlement): how long it could not hibernate since its last line, and its calls. */
export function logHolder(entry: { busyMs: number; calls: number }) {
  console.log(JSON.stringify({ type: "holder", ...entry }));
}

/** The log line of every request the Hono app (admin, dashboard) serves. */
export function requestLog(): MiddlewareHandler<AppEnv> {
  return async function requestLog(c, next) {
    const started = Date.now();
    const stats = newStats();
    c.set("stats", stats);
    await next();
    if (c.get("config")?.LOG_REQUESTS === false) return;
    const { method, url } = c.req.raw;
    const traceId = parseTraceparent(c.req.header("traceparent"))?.traceId ?? newTraceId();
    logRequest({ requestId: c.get("requestId"), traceId, method, url, status: c.res.status, started, stats });
  };
}

/** An error as one log message; a failed query shows its SQL, never its parameters (hashes, emails). */
function describe(error: unknown): string {
  if (error instanceof DrizzleQueryError) return `DrizzleQueryError: Failed query: ${error.query}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Logs an error the gateway answered with a 5xx, with its cause chain (messages only). */
export function logError(requestId: string | undefined, error: unknown): void {
  const causes: string[] = [];
  for (let e: unknown = error; e && causes.length < 5; e = (e as { cause?: unknown }).cause) {
    causes.push(describe(e));
  }
  console.error(JSON.stringify({ type: "error", requestId, error: causes[0], causes: causes.slice(1) }));
}
