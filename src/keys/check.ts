/**
 * The key check of every `/v1/*` request: the key is read from `X-API-Key`
 * only (never the query string or Authorization); a malformed key or a bad
 * checksum is refused before any storage is touched, and so is a well-formed
 * key the gateway never issued (its prefix is not the MAC of its secret, see
 * issue.ts); otherwise the record is found through the cache layers and the
 * secret verified in constant time. Every failure gets the one documented
 * 401 body.
 */
import type { MaybePromise, RequestContext } from "../context";
import { ApiError, INVALID_KEY_MESSAGE } from "../errors";
import { isolate } from "../isolate";
import { KEY_LENGTH, PREFIX_END, parseKey, prefixOf, secretOf } from "./format";
import { isIssued } from "./issue";
import { cachedEntry, lookupKey, verifiedBefore, verifySecret } from "./lookup";
import type { KeyRecord } from "./records";

/** The 401 every refused key gets, whatever the reason. */
export const invalidKey = () =>
  new ApiError("UNAUTHORIZED", INVALID_KEY_MESSAGE, { "WWW-Authenticate": 'ApiKey header="X-API-Key"' });

/**
 * The entry's record if the secret matches and the key is not known to be
 * refused, else a thrown 401: a record that says revoked (final), or one the
 * gate refused (revoked, expired, account disabled) since it was read, which
 * costs no gate call again until the record is read again.
 */
function accept(record: KeyRecord | null, secretMatches: boolean): KeyRecord {
  if (!record || record.revoked || !secretMatches || isolate.refused.has(record)) throw invalidKey();
  return record;
}

/**
 * The verified key of a request, or a thrown 401. On the warm path (record
 * and secret already verified in this isolate) the answer is synchronous:
 * no I/O, no hashing, no await.
 */
export function checkKey(rc: RequestContext, raw: string | null): MaybePromise<KeyRecord> {
  const { config, stats } = rc;
  // Warm path: a key whose exact secret this isolate has verified needs no checksum and no hash.
  const warm = raw !== null && raw.length === KEY_LENGTH ? cachedEntry(prefixOf(raw), stats) : undefined;
  // With "mk_", the prefix, "_" and the exact verified secret, the key is the one verified before, character for character.
  if (
    warm?.verified !== undefined &&
    raw?.startsWith("mk_") &&
    raw[PREFIX_END] === "_" &&
    verifiedBefore(warm, secretOf(raw))
  ) {
    return accept(warm.record, true);
  }
  // Two X-API-Key headers arrive joined with ", " and fail the format check.
  const parsed = parseKey(raw);
  if (!parsed) throw invalidKey();
  const cached = cachedEntry(parsed.prefix, stats);
  const known = cached && verifiedBefore(cached, parsed.secret);
  if (cached && known !== undefined) return accept(cached.record, known);
  return isIssued(config, parsed).then(async (issued) => {
    // A forgery (any prefix, any secret) stops here: no KV, D1 or Durable Object operation.
    if (!issued) throw invalidKey();
    const entry = await lookupKey(rc, parsed.prefix);
    return accept(entry.record, await verifySecret(config, entry, parsed.secret));
  });
}
