/**
 * Request URLs taken apart once, by offsets, without re-parsing: the one home
 * of "where the path starts", "the path and query exactly as received" and
 * "the resource of a `/v1/{resource}...` path". The runtime hands every
 * request an absolute URL (`https://host/path?query`), already normalized
 * (dot segments resolved), and reading `request.url` copies it, so callers
 * read it once and pass the string.
 */

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
  /** The `{resource}` of `/v1/{resource}...` ("" when there is none). */
  resource: string;
}

/** The `{resource}` of a `/v1/{resource}...` path ("" for `/v1` itself). */
export function resourceOf(pathname: string): string {
  const end = pathname.indexOf("/", 4);
  return pathname.slice(4, end === -1 ? undefined : end);
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
