/**
 * Header hygiene at the proxy boundary. On the way in: drop the API key,
 * every hop-by-hop header (Connection and each header it names, Keep-Alive,
 * TE, Trailer, Transfer-Encoding, Upgrade, Proxy-*), every client-sent
 * X-MoMail-* and forwarding header, then set the caller's identity and
 * X-Forwarded-* rebuilt from what the edge knows. On the way back: drop the
 * hop-by-hop headers again; everything else is the origin's, untouched.
 */

const HOP_BY_HOP = ["connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"];
/** Client-controlled headers that could pass for the gateway's own statements. */
const SPOOFABLE = ["x-api-key", "forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip"];

function dropHopByHop(headers: Headers): void {
  const connection = headers.get("connection");
  if (connection) {
    for (const name of connection.split(",")) {
      const token = name.trim().toLowerCase();
      if (token) headers.delete(token);
    }
  }
  for (const name of HOP_BY_HOP) headers.delete(name);
  for (const name of [...headers.keys()]) {
    if (name.startsWith("proxy-")) headers.delete(name);
  }
}

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
  dropHopByHop(headers);
  for (const name of SPOOFABLE) headers.delete(name);
  for (const name of [...headers.keys()]) {
    if (name.startsWith("x-momail-")) headers.delete(name);
  }
  headers.set("x-momail-account-id", identity.accountId);
  headers.set("x-momail-key-id", identity.keyId);
  headers.set("x-request-id", identity.requestId);
  headers.set("x-forwarded-for", identity.clientIp ?? "unknown");
  headers.set("x-forwarded-proto", identity.proto);
  headers.set("x-forwarded-host", identity.host);
  return headers;
}

/** The origin's response headers, minus hop-by-hop ones. */
export function downstreamResponseHeaders(origin: Headers): Headers {
  const headers = new Headers(origin);
  dropHopByHop(headers);
  return headers;
}
