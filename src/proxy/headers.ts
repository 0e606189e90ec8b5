/**
 * Header hygiene at the proxy boundary. On the way in: drop the API key,
 * every hop-by-hop header (Connection and each header it names, Keep-Alive,
 * TE, Trailer, Transfer-Encoding, Upgrade, HTTP2-Settings, Proxy-*), the
 * method-override headers (a GET must not pass the read scope check and then
 * act as a DELETE), every client-sent X-MoMail-* header, every header an
 * origin or its framework could take for a trusted proxy's word on the URL or
 * the client (Forwarded, X-Forwarded-*, X-Real-IP, X-Original-URL, …), and
 * every header whose name holds a `_` (as nginx does by default: CGI and WSGI
 * read `X_Forwarded_For` as `X-Forwarded-For`, both as HTTP_X_FORWARDED_FOR,
 * so an underscore spelling would slip past every rule above); then set the
 * caller's identity (account, key, the key's mode), X-Forwarded-* rebuilt from what the edge knows, and the
 * W3C `traceparent` of the gateway's span (trace.ts). On the way back: drop
 * the hop-by-hop headers again; everything else is the origin's, untouched.
 *
 * Platform limit: the Workers runtime consumes the client's Connection header
 * before the Worker sees it, so a header the client names only in Connection
 * (e.g. `Connection: close, X-Foo`) cannot be recognised and is forwarded.
 * That is why every sensitive name above is dropped by name, not because
 * Connection lists it (test/e2e/connection-headers.e2e.ts shows both over
 * real HTTP).
 */

import type { Trace } from "../trace";

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
]);
/** Client-sent headers an origin could take for the gateway's (or a trusted proxy's) own statements. */
const SPOOFABLE = new Set([
  "x-api-key",
  "forwarded",
  "x-real-ip",
  "x-client-ip",
  "true-client-ip",
  "x-cluster-client-ip",
  "x-original-url",
  "x-rewrite-url",
  "x-http-method-override",
  "x-http-method",
  "x-method-override",
]);

/** Deletes from `target` the hop-by-hop headers of `source` (and those `drop` also names). */
function deleteHopByHop(source: Headers, target: Headers, drop?: (name: string) => boolean): void {
  const named = source.get("connection");
  const listed = named ? new Set(named.split(",").map((token) => token.trim().toLowerCase())) : undefined;
  // Scan names first (cheap), so only headers actually present are deleted.
  const dropped: string[] = [];
  for (const name of source.keys()) {
    if (HOP_BY_HOP.has(name) || name.startsWith("proxy-") || listed?.has(name) || drop?.(name)) dropped.push(name);
  }
  for (const name of dropped) target.delete(name);
}

const fromClientOnly = (name: string) =>
  SPOOFABLE.has(name) || name.startsWith("x-momail-") || name.startsWith("x-forwarded-") || name.includes("_");

export interface Identity {
  accountId: string;
  keyId: string;
  /** The key's mode, sent as X-MoMail-Mode (and signed: sign.ts). */
  mode: "live" | "test";
  requestId: string;
  trace: Trace;
  clientIp: string | null;
  proto: string;
  host: string;
}

/** The headers to send to the origin for a client request. */
export function upstreamRequestHeaders(incoming: Headers, identity: Identity): Headers {
  const headers = new Headers(incoming);
  deleteHopByHop(incoming, headers, fromClientOnly);
  headers.set("x-momail-account-id", identity.accountId);
  headers.set("x-momail-key-id", identity.keyId);
  headers.set("x-momail-mode", identity.mode);
  headers.set("x-request-id", identity.requestId);
  headers.set("traceparent", identity.trace.traceparent);
  // A tracestate without a valid traceparent is discarded (W3C Trace Context); beside one it goes on unchanged.
  if (!identity.trace.keepsState) headers.delete("tracestate");
  headers.set("x-forwarded-for", identity.clientIp ?? "unknown");
  headers.set("x-forwarded-proto", identity.proto);
  headers.set("x-forwarded-host", identity.host);
  return headers;
}

/** The origin's response as the client gets it: everything the origin sent, minus hop-by-hop headers. */
export function downstreamResponse(origin: Response): Response {
  // One native copy of status, status text and headers; the body streams through.
  const response = new Response(origin.body, origin);
  deleteHopByHop(origin.headers, response.headers);
  return response;
}
