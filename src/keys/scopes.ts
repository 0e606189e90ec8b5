/**
 * Scopes (CONTRACT §1): `{resource}:read` and `{resource}:write`, where write
 * implies read; `*` allows everything and `*:read` allows GET and HEAD on
 * every resource. GET and HEAD on `/v1/{resource}...` need read; every other
 * method needs write. The resource is the one routes match (url.ts `Target`,
 * routes.ts): `/v1/Messages`, `/v1/mess%61ges` and `/v1/messages.json` need
 * what `/v1/messages` needs, and a scope's resource name is compared in ASCII
 * lowercase, so a key granted `Messages:read` holds `messages:read`.
 */
import { asciiLower, routeMethod } from "../routes";

export const WILDCARD = "*";
export const READ_ONLY = "*:read";
export const SCOPE_PATTERN = /^(\*|\*:read|[A-Za-z0-9_-]{1,64}:(read|write))$/;
const RESOURCE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The scope a request needs: `{resource}:read|write`, or `*` when the path
 * names no well-formed resource (only a full-access key may reach such paths).
 * `resource` is as routes match it (routes.ts `routeResource`).
 */
export function requiredScope(method: string, resource: string): string {
  if (!RESOURCE_PATTERN.test(resource)) return WILDCARD;
  return routeMethod(method) === "GET" ? `${resource}:read` : `${resource}:write`;
}

/** Whether a key holding `scopes` may make a request needing `needed` (as requiredScope gives it). */
export function allows(scopes: readonly string[], needed: string): boolean {
  if (scopes.includes(WILDCARD)) return true;
  if (needed === WILDCARD) return false;
  const read = needed.endsWith(":read");
  const write = read ? `${needed.slice(0, -5)}:write` : needed;
  for (const held of scopes) {
    const scope = asciiLower(held);
    if (scope === needed || (read && (scope === READ_ONLY || scope === write))) return true;
  }
  return false;
}
