/**
 * Routes as origins match them (CONTRACT §1): the one home of how the gateway
 * compares a request's method and path with a route it was configured with
 * (scopes, ROUTE_COSTS, UPSTREAM_ROUTES, and lists of `"POST /v1/emails"`).
 * Origins route more loosely than a byte compare: Express ignores case, WSGI
 * and Go route on the decoded path, Rails reads `.json` as a format, most
 * frameworks ignore a trailing `/`, and Node answers HEAD with the GET
 * handler. So a segment is compared percent-decoded (every layer: an origin
 * that decodes twice must not see another route than the gateway), in ASCII
 * lowercase (never Unicode case rules: `ſ` and the Kelvin sign stay what they
 * are, and match no configured name), the last one without its `.{format}`
 * (from its first dot) or a trailing `/`; and HEAD is GET. Only matching
 * uses this: the path forwarded to the origin stays byte for byte as received.
 */

/** Already as routes match it: nothing to decode, fold or strip (the common case, no allocation). */
const PLAIN = /^[a-z0-9_-]*$/;
const UPPER = /[A-Z]/;
const ENCODED = /%[0-9a-fA-F]{2}/;
/** More layers than the path check lets through (proxy/path.ts refuses a fifth). */
const MAX_DECODES = 5;

/** One layer of percent-decoding, byte by byte (each byte as one char): never throws, whatever the bytes. */
export const decodeOnce = (text: string) =>
  text.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));

/** Lowercase by ASCII rules only: `A-Z` become `a-z`, every other character stays. */
export const asciiLower = (text: string) =>
  UPPER.test(text) ? text.replace(/[A-Z]+/g, (run) => run.toLowerCase()) : text;

/** The method as routes match it: ASCII uppercase, and HEAD as GET. */
export function routeMethod(method: string): string {
  const upper = /[a-z]/.test(method) ? method.replace(/[a-z]+/g, (run) => run.toUpperCase()) : method;
  return upper === "HEAD" ? "GET" : upper;
}

/** One path segment as routes match it; `last` also drops its `.{format}` (from its first dot). */
export function routeSegment(segment: string, last: boolean): string {
  if (PLAIN.test(segment)) return segment;
  let name = segment;
  for (let depth = 0; depth < MAX_DECODES && ENCODED.test(name); depth++) name = decodeOnce(name);
  name = asciiLower(name);
  const dot = last ? name.indexOf(".") : -1;
  return dot === -1 ? name : name.slice(0, dot);
}

/**
 * The `{resource}` of a `/v1/{resource}...` path as routes match it ("" for
 * `/v1` itself, or for a resource that is only a format, like `/v1/.json`).
 * `/v1/Messages`, `/v1/mess%61ges`, `/v1/messages.json` and `/v1/messages/`
 * all give `messages`; `/v1/messages.json/1` gives `messages.json`, which
 * names no resource (only the last segment has a format).
 */
export function routeResource(pathname: string): string {
  const end = pathname.indexOf("/", 4);
  const raw = pathname.slice(4, end === -1 ? undefined : end);
  return PLAIN.test(raw) ? raw : routeSegment(raw, end === -1 || end === pathname.length - 1);
}

/** A whole path as routes match it: every segment, the last one without its format, no trailing `/`. */
export function routePath(pathname: string): string {
  const path = pathname.length > 1 && pathname.endsWith("/") ? pathname.slice(0, -1) : pathname;
  const segments = path.split("/");
  return segments.map((segment, i) => routeSegment(segment, i === segments.length - 1)).join("/");
}

/** A request's `"METHOD /path"` as routes match it. */
export const routeKey = (method: string, pathname: string) => `${routeMethod(method)} ${routePath(pathname)}`;

/**
 * A configured route (`"POST /v1/Emails/"`, `"* /v1/domains"`, `"*"`) as routes
 * match it (`"POST /v1/emails"`), or null when it is not `"*"` nor
 * `"{METHOD or *} /{path}"`. Configuration passes its routes through this
 * once, at load, so a route written in any spelling still matches.
 */
export function parseRoute(route: string): string | null {
  if (route === "*") return route;
  const match = /^(\*|[A-Za-z]+) (\/\S*)$/.exec(route);
  if (!match) return null;
  const [, method = "", path = ""] = match;
  return `${method === "*" ? "*" : routeMethod(method)} ${routePath(path)}`;
}

/**
 * A list of routes (`["POST /v1/emails", "POST /v1/emails/batch"]`) as a
 * test of a request's method and path, by the rules above; `* /path` matches
 * any method. Throws on an entry that is not a route: call it at config load.
 */
export function routeList(routes: readonly string[]): (method: string, pathname: string) => boolean {
  const keys = new Set(
    routes.map((route) => {
      const key = parseRoute(route);
      if (key === null || key === "*") throw new Error(`not a "METHOD /path" route: ${route}`);
      return key;
    }),
  );
  return (method, pathname) => {
    const path = routePath(pathname);
    return keys.has(`${routeMethod(method)} ${path}`) || keys.has(`* ${path}`);
  };
}
