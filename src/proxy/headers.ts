/**
 * Header hygiene at the proxy boundary. On the way in: drop the API key,
 * every hop-by-hop header (Connection and each header it names, Keep-Alive,
 * TE, Trailer, Transfer-Encoding, Upgrade, Proxy-*), every client-sent
 * X-MoMail-* and forwarding header, then set the caller's identity and
 * X-Forwarded-* rebuilt from what the edge knows. On the way back: drop the
 * hop-by-hop headers again; everything else is the origin's, untouched.
 */

const HOP_BY_HOP = new Set(["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"]);
/** Client-controlled headers that could pass for the gateway's own statements. */
const SPOOFABLE = new Set([
  "x-api-key",
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "x-real-ip",
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

const fromClientOnly = (name: string) => SPOOFABLE.has(name) || name.startsWith("x-momail-");

export interface Identity {
  accountId: string;
  keyId: string;
  requestId: string;
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
  headers.set("x-request-id", identity.requestId);
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
