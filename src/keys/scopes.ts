/**
 * Scopes (CONTRACT §1): `{resource}:read` and `{resource}:write`, where write
 * implies read; `*` allows everything and `*:read` allows GET and HEAD on
 * every resource. GET and HEAD on `/v1/{resource}...` need read; every other
 * method needs write (the resource of a path: url.ts).
 */

export const WILDCARD = "*";
export const READ_ONLY = "*:read";
export const SCOPE_PATTERN = /^(\*|\*:read|[A-Za-z0-9_-]{1,64}:(read|write))$/;
const RESOURCE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The scope a request needs: `{resource}:read|write`, or `*` when the path
 * names no well-formed resource (only a full-access key may reach such paths).
 */
export function requiredScope(method: string, resource: string): string {
  if (!RESOURCE_PATTERN.test(resource)) return WILDCARD;
  return method === "GET" || method === "HEAD" ? `${resource}:read` : `${resource}:write`;
}

/** Whether a key holding `scopes` may make a request needing `needed`. */
export function allows(scopes: readonly string[], needed: string): boolean {
  if (scopes.includes(WILDCARD)) return true;
  if (needed === WILDCARD) return false;
  if (scopes.includes(needed)) return true;
  if (!needed.endsWith(":read")) return false;
  return scopes.includes(READ_ONLY) || scopes.includes(`${needed.slice(0, -5)}:write`);
}
