/**
 * The reverse proxy (CONTRACT §2): forwards a verified `/v1/...` request to
 * its upstream, chosen only from configuration (UPSTREAM_ROUTES by resource,
 * else UPSTREAM_URL), with the path and query byte for byte, the method and
 * the body; streams the origin's answer back with redirects passed through.
 * Unreachable origin: 502; no response headers within UPSTREAM_TIMEOUT_MS:
 * 504 and the origin request aborted. Nothing is retried.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import type { Config } from "../config";
import { ApiError } from "../errors";
import { prepareBody } from "./body";
import { downstreamResponseHeaders, upstreamRequestHeaders } from "./headers";
import { signRequest } from "./sign";

/**
 * Paths that could mean something else once an origin decodes or normalizes
 * them: encoded slashes, backslashes and dots, NUL, and empty segments. (Plain
 * dot-segments never get here: the URL parser has already resolved them.)
 */
const AMBIGUOUS_PATH = /%2f|%5c|%2e|%00|\\|\/\//i;

/** The upstream origin for a `/v1/{resource}...` path. */
export function upstreamFor(config: Config, pathname: string): string {
  const end = pathname.indexOf("/", 4);
  const resource = pathname.slice(4, end === -1 ? undefined : end);
  return config.UPSTREAM_ROUTES[resource] ?? config.UPSTREAM_URL;
}

/** The raw path and query of a request URL, exactly as received. */
function rawPathAndQuery(url: string): string {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  const hash = url.indexOf("#");
  return start === -1 ? "/" : url.slice(start, hash === -1 ? undefined : hash);
}

async function fetchWithTimeout(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await fetch(url, { ...init, redirect: "manual", signal: controller.signal });
  } catch (error) {
    if (controller.signal.aborted) throw new ApiError("GATEWAY_TIMEOUT", undefined, {}, { cause: error });
    throw new ApiError("BAD_GATEWAY", undefined, {}, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/** The `/v1/*` handler: forwards the request and returns the origin's response. */
export async function forward(c: Context<AppEnv>): Promise<Response> {
  const { config, key, requestId } = c.var;
  if (!key) throw new ApiError("UNAUTHORIZED");
  const request = c.req.raw;
  const pathAndQuery = rawPathAndQuery(request.url);
  const pathname = pathAndQuery.split("?", 1)[0] as string;
  if (AMBIGUOUS_PATH.test(pathname)) {
    throw new ApiError("BAD_REQUEST", "path: encoded slashes, backslashes, dots and empty segments are not allowed");
  }
  const url = new URL(request.url);
  const headers = upstreamRequestHeaders(request.headers, {
    accountId: key.accountId,
    keyId: key.id,
    requestId,
    clientIp: request.headers.get("cf-connecting-ip"),
    proto: url.protocol.slice(0, -1),
    host: request.headers.get("host") ?? url.host,
  });
  const body = await prepareBody(request, config.MAX_BODY_BYTES);
  await signRequest(headers, config.ORIGIN_SIGNING_SECRET, {
    method: request.method,
    pathAndQuery,
    accountId: key.accountId,
    keyId: key.id,
    requestId,
    contentSha256: body.contentSha256,
  });
  const origin = await fetchWithTimeout(
    upstreamFor(config, pathname) + pathAndQuery,
    { method: request.method, headers, body: body.body },
    config.UPSTREAM_TIMEOUT_MS,
  );
  const responseHeaders = downstreamResponseHeaders(origin.headers);
  for (const [name, value] of Object.entries(c.var.responseHeaders ?? {})) responseHeaders.set(name, value);
  responseHeaders.set("x-request-id", requestId);
  return new Response(origin.body, { status: origin.status, statusText: origin.statusText, headers: responseHeaders });
}
