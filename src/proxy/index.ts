/**
 * The reverse proxy (CONTRACT §2): forwards a verified `/v1/...` request to
 * its upstream, chosen only from configuration (UPSTREAM_ROUTES by resource,
 * else UPSTREAM_URL), with the path and query byte for byte after the
 * upstream's base path, the method and the body, signed over the path the
 * origin receives; streams the origin's answer back with redirects passed through.
 * Unreachable origin: 502; no response headers within UPSTREAM_TIMEOUT_MS:
 * 504 and the origin request aborted. Nothing is retried.
 */
import type { Config } from "../config";
import { ApiError } from "../errors";
import type { KeyRecord } from "../keys/records";
import { prepareBody } from "./body";
import { downstreamResponse, upstreamRequestHeaders } from "./headers";
import { assertSafePath } from "./path";
import { signRequest } from "./sign";

/** A configured upstream URL taken apart once: what to put before the path and query, and its base path. */
export interface Upstream {
  /** Scheme, authority and base path, e.g. `https://messages.internal/api`. */
  prefix: string;
  /** The path part of the upstream URL, as the URL parser (and so fetch) writes it; "" for none. */
  basePath: string;
}

const upstreams = new Map<string, Upstream>();

function parseUpstream(configured: string): Upstream {
  const url = new URL(configured);
  // A query or fragment in the configured URL cannot precede the request's path: dropped.
  url.search = "";
  url.hash = "";
  const basePath = url.pathname.replace(/\/+$/, "");
  return { prefix: url.href.slice(0, url.href.length - url.pathname.length) + basePath, basePath };
}

/** The upstream for a `/v1/{resource}...` path: its route if UPSTREAM_ROUTES names the resource, else UPSTREAM_URL. */
export function upstreamFor(config: Config, pathname: string): Upstream {
  const end = pathname.indexOf("/", 4);
  const resource = pathname.slice(4, end === -1 ? undefined : end);
  // Own properties only: `constructor` or `__proto__` must not be read off Object.prototype.
  const routes = config.UPSTREAM_ROUTES;
  const configured = Object.hasOwn(routes, resource) ? (routes[resource] as string) : config.UPSTREAM_URL;
  let upstream = upstreams.get(configured);
  if (!upstream) {
    upstream = parseUpstream(configured);
    // Configuration names a handful of upstreams; the bound only guards against surprises.
    if (upstreams.size >= 64) upstreams.clear();
    upstreams.set(configured, upstream);
  }
  return upstream;
}

/** A request URL taken apart once, without re-parsing: the path and query exactly as received. */
export interface Target {
  method: string;
  proto: string;
  host: string;
  pathname: string;
  pathAndQuery: string;
}

/** Splits an absolute URL (as the runtime gives request.url) into its parts. */
export function targetOf(method: string, url: string): Target {
  const hostStart = url.indexOf("//") + 2;
  let pathStart = url.indexOf("/", hostStart);
  if (pathStart === -1) pathStart = url.length;
  const hash = url.indexOf("#", pathStart);
  const pathAndQuery = url.slice(pathStart, hash === -1 ? undefined : hash) || "/";
  const query = pathAndQuery.indexOf("?");
  return {
    method,
    proto: url.slice(0, url.indexOf(":")),
    host: url.slice(hostStart, pathStart),
    pathname: query === -1 ? pathAndQuery : pathAndQuery.slice(0, query),
    pathAndQuery,
  };
}

/** The rejection of a deadline that passed (never an error a fetch could throw). */
const TIMED_OUT = Symbol("timed out");

/**
 * fetch with a deadline on the response headers only, so a slow body is not
 * cut off. Deliberately no AbortSignal: a signal passed to fetch also wraps the
 * response body in an abortable stream, and that measured as the most expensive
 * step of the whole proxy (bench/RESULTS.md). On timeout the client gets its
 * 504 at once and the origin request is abandoned: the runtime cancels a
 * request's outstanding subrequests when the request ends.
 */
async function fetchWithTimeout(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(TIMED_OUT), timeoutMs);
  });
  try {
    return await Promise.race([fetch(url, init), deadline]);
  } catch (error) {
    if (error === TIMED_OUT) throw new ApiError("GATEWAY_TIMEOUT");
    throw new ApiError("BAD_GATEWAY", undefined, {}, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Forwards a checked request for `key` and returns the origin's response,
 * with `extraHeaders` (the rate-limit headers) and X-Request-Id added.
 */
export async function forward(
  request: Request,
  target: Target,
  config: Config,
  key: KeyRecord,
  requestId: string,
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  const { pathname, pathAndQuery } = target;
  assertSafePath(pathname);
  const upstream = upstreamFor(config, pathname);
  const headers = upstreamRequestHeaders(request.headers, {
    accountId: key.accountId,
    keyId: key.id,
    requestId,
    clientIp: request.headers.get("cf-connecting-ip"),
    proto: target.proto,
    host: request.headers.get("host") ?? target.host,
  });
  const body = await prepareBody(request, config.MAX_BODY_BYTES);
  // A bodiless request's Content-Length (some clients send "0" on a GET) would make fetch refuse it.
  if (body.body === null) headers.delete("content-length");
  await signRequest(headers, config.ORIGIN_SIGNING_SECRET, {
    method: target.method,
    // Exactly what the origin's request line will carry: the base path, then the client's path and query.
    pathAndQuery: upstream.basePath + pathAndQuery,
    accountId: key.accountId,
    keyId: key.id,
    requestId,
    contentSha256: body.contentSha256,
  });
  const origin = await fetchWithTimeout(
    upstream.prefix + pathAndQuery,
    { method: target.method, headers, body: body.body, redirect: "manual" },
    config.UPSTREAM_TIMEOUT_MS,
  );
  const response = downstreamResponse(origin);
  for (const name in extraHeaders) response.headers.set(name, extraHeaders[name] as string);
  response.headers.set("x-request-id", requestId);
  return response;
}
