/**
 * The key check of every `/v1/*` request: the key is read from `X-API-Key`
 * only (never the query string or Authorization); a malformed key or a bad
 * checksum is refused before any storage is touched; otherwise the record is
 * found through the cache layers and the secret verified in constant time.
 * Every failure gets the one documented 401 body.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError, INVALID_KEY_MESSAGE } from "../errors";
import { parseKey } from "./format";
import { lookupKey, verifySecret } from "./lookup";

/** The 401 every refused key gets, whatever the reason. */
export const invalidKey = () =>
  new ApiError("UNAUTHORIZED", INVALID_KEY_MESSAGE, { "WWW-Authenticate": 'ApiKey header="X-API-Key"' });

export function keyCheck(): MiddlewareHandler<AppEnv> {
  return async function keyCheck(c, next) {
    // Two X-API-Key headers arrive joined with ", " and fail the format check.
    const parsed = parseKey(c.req.raw.headers.get("x-api-key"));
    if (!parsed) throw invalidKey();
    const { config, stats } = c.var;
    const entry = await lookupKey(c.env, config, parsed.prefix, stats, (p) => c.executionCtx.waitUntil(p));
    // A record known to be revoked is refused here; revocation never goes back.
    if (!entry.record || entry.record.revoked || !(await verifySecret(config, entry, parsed.secret)))
      throw invalidKey();
    c.set("key", entry.record);
    await next();
  };
}
