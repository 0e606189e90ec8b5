/**
 * Scopes (CONTRACT §1): `{resource}:read` and `{resource}:write`, where write
 * implies read, and `*` allows everything. GET and HEAD on
 * `/v1/{resource}...` need read; every other method needs write.
 */

export const WILDCARD = "*";
export const SCOPE_PATTERN = /^(\*|[A-Za-z0-9_-]{1,64}:(read|write))$/;
const RESOURCE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The scope a request needs: `{resource}:read|write` for `/v1/{resource}...`,
 * or `*` when the path names no well-formed resource (only a full-access key
 * may reach such paths).
 */
export function requiredScope(method: string, pathname: string): string {
  const end = pathname.indexOf("/", 4);
  const resource = pathname.slice(4, end === -1 ? undefined : end);
  if (!RESOURCE_PATTERN.test(resource)) return WILDCARD;
  return method === "GET" || method === "HEAD" ? `${resource}:read` : `${resource}:write`;
}

/** Whether a key holding `scopes` may make a request needing `needed`. */
export function allows(scopes: readonly string[], needed: string): boolean {
  if (scopes.includes(WILDCARD)) return true;
  if (needed === WILDCARD) return false;
  if (scopes.includes(needed)) return true;
  return needed.endsWith(":read") && scopes.includes(`${needed.slice(0, -5)}:write`);
}
