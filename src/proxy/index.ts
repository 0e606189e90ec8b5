/**
 * The reverse proxy (CONTRACT §2): forwards a verified `/v1/...` request to
 * its upstream, chosen only from configuration (UPSTREAM_ROUTES by resource,
 * else UPSTREAM_URL), with the path and query byte for byte after the
 * upstream's base path, the method and the body, signed over the path the
 * origin receives; streams the origin's answer back with redirects passed through.
 * Unreachable origin: 502; no response headers within UPSTREAM_TIMEOUT_MS:
 * 504 and the origin request aborted. Nothing is retried. A test key's
 * requests go to SANDBOX_UPSTREAM_URL when it is set; every request says the
 * key's mode in `X-MoMail-Mode`, under the signature (CONTRACT §2, §8).
 */
import type { Config } from "../config";
import type { RequestContext } from "../context";
import { TIMED_OUT, withDeadline } from "../deadline";
import { ApiError } from "../errors";
import { type KeyMode, modeOf } from "../keys/mode";
import type { KeyRecord } from "../keys/records";
import type { Target } from "../url";
import { type PreparedBody, prepareBody } from "./body";
import { downstreamResponse, upstreamRequestHeaders } from "./headers";
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

/**
 * The upstream for a `/v1/{resource}...` request: for a test key,
 * SANDBOX_UPSTREAM_URL when it is set (whatever the resource); else its route
 * if UPSTREAM_ROUTES names the resource, else UPSTREAM_URL. `resource` is as routes match it
 * (routes.ts `routeResource`, which `Target.resource` holds), and the
 * configured names were normalised the same way at load, so `/v1/Messages`
 * and `/v1/messages.json` go where `/v1/messages` goes.
 */
export function upstreamFor(config: Config, resource: string, mode: KeyMode = "live"): Upstream {
  // Own properties only: `constructor` or `__proto__` must not be read off Object.prototype.
  const routes = config.UPSTREAM_ROUTES;
  const sandbox = mode === "test" ? config.SANDBOX_UPSTREAM_URL : undefined;
  const configured = sandbox ?? (Object.hasOwn(routes, resource) ? (routes[resource] as string) : config.UPSTREAM_URL);
  let upstream = upstreams.get(configured);
  if (!upstream) {
    upstream = parseUpstream(configured);
    // Configuration names a handful of upstreams; the bound only guards against surprises.
    if (upstreams.size >= 64) upstreams.clear();
    upstreams.set(configured, upstream);
  }
  return upstream;
}

/** fetch with a deadline on the response headers only, so a slow body is not cut off (see deadline.ts). */
async function fetchWithTimeout(url: string, init: RequestInit, timeoutMs: number): Promise<Response> {
  try {
    return await withDeadline(fetch(url, init), timeoutMs);
  } catch (error) {
    if (error === TIMED_OUT) throw new ApiError("GATEWAY_TIMEOUT");
    throw new ApiError("BAD_GATEWAY", undefined, {}, { cause: error });
  }
}

/** The request `forward` sends to the origin, besides the request's context. */
export interface ForwardInput {
  request: Request;
  /** The request's target, as its URL was parsed (url.ts). */
  target: Target;
  /** The checked key's record: its account, id and mode go to the origin. */
  key: KeyRecord;
  /**
   * The body, if the caller has read it already: as prepared (prepareBody:
   * an idempotent request's), or as a sender check read it
   * (restrictions/inspection.ts), forwarded and signed as read.
   */
  body?: PreparedBody | Uint8Array;
}

/**
 * Forwards a checked request for `key` and returns the origin's response as
 * the client gets it (the caller adds its own headers: the copy is mutable).
 */
export async function forward(
  rc: Pick<RequestContext, "config" | "requestId" | "trace">,
  { request, target, key, body }: ForwardInput,
): Promise<Response> {
  const { config, requestId, trace } = rc;
  const { pathAndQuery } = target;
  const mode = modeOf(key);
  const upstream = upstreamFor(config, target.resource, mode);
  const headers = upstreamRequestHeaders(request.headers, {
    accountId: key.accountId,
    keyId: key.id,
    mode,
    requestId,
    trace,
    clientIp: request.headers.get("cf-connecting-ip"),
    proto: target.proto,
    host: request.headers.get("host") ?? target.host,
  });
  const prepared =
    body instanceof Uint8Array
      ? await prepareBody(request, config.MAX_BODY_BYTES, { read: body })
      : (body ?? (await prepareBody(request, config.MAX_BODY_BYTES)));
  // A bodiless request's Content-Length (some clients send "0" on a GET) would make fetch refuse it.
  if (prepared.body === null) headers.delete("content-length");
  await signRequest(headers, config.ORIGIN_SIGNING_SECRET, {
    method: target.method,
    // Exactly what the origin's request line will carry: the base path, then the client's path and query.
    pathAndQuery: upstream.basePath + pathAndQuery,
    accountId: key.accountId,
    keyId: key.id,
    requestId,
    mode,
    contentSha256: prepared.contentSha256,
  });
  const origin = await fetchWithTimeout(
    upstream.prefix + pathAndQuery,
    { method: target.method, headers, body: prepared.body, redirect: "manual" },
    config.UPSTREAM_TIMEOUT_MS,
  );
  return downstreamResponse(origin);
}
