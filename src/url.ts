/**
 * Request URLs taken apart once, by offsets, without re-parsing: the one home
 * of "where the path starts", "the path and query exactly as received" and
 * "the resource of a `/v1/{resource}...` path" (read as routes match it:
 * routes.ts). The runtime hands every request an absolute URL
 * (`https://host/path?query`), already normalized (dot segments resolved),
 * and reading `request.url` copies it, so callers read it once and pass the
 * string.
 */
import { routeResource } from "./routes";

/** Where the path of an absolute URL starts (its length if it has none). */
export function pathStart(url: string): number {
  const at = url.indexOf("/", url.indexOf("//") + 2);
  return at === -1 ? url.length : at;
}

/** A request URL's parts, as received. */
export interface Target {
  method: string;
  proto: string;
  host: string;
  pathname: string;
  /** Path and query exactly as received (a lone `?` kept); no fragment. */
  pathAndQuery: string;
  /**
   * The `{resource}` of `/v1/{resource}...` as routes match it ("" when there
   * is none): decoded, ASCII-lowercased, without a format (routes.ts). What
   * scopes, ROUTE_COSTS and UPSTREAM_ROUTES are matched with; never forwarded.
   */
  resource: string;
}

/** The `{resource}` of a `/v1/{resource}...` path as routes match it ("" for `/v1` itself): see routes.ts. */
export function resourceOf(pathname: string): string {
  return routeResource(pathname);
}

/** Splits an absolute URL into its parts. */
export function targetOf(method: string, url: string): Target {
  const start = pathStart(url);
  const hash = url.indexOf("#", start);
  const pathAndQuery = url.slice(start, hash === -1 ? undefined : hash) || "/";
  const query = pathAndQuery.indexOf("?");
  const pathname = query === -1 ? pathAndQuery : pathAndQuery.slice(0, query);
  return {
    method,
    proto: url.slice(0, url.indexOf(":")),
    host: url.slice(url.indexOf("//") + 2, start),
    pathname,
    pathAndQuery,
    resource: resourceOf(pathname),
  };
}

/** Whether a URL's path is under `/v1/` (or is `/v1` itself). */
export function isDataPlane(url: string): boolean {
  const path = pathStart(url);
  return url.startsWith("/v1", path) && (url.length === path + 3 || "/?#".includes(url[path + 3] as string));
}

/** The path without its query string or fragment. */
export function pathOf(url: string): string {
  const path = url.slice(pathStart(url));
  const end = path.search(/[?#]/);
  return (end === -1 ? path : path.slice(0, end)) || "/";
}
