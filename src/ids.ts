/**
 * Prefixed, readable ids: `acct_…`, `usr_…`, `key_…`, `ses_…`, `aud_…` (audit
 * entries), `evt_…` (webhook events), followed by 20 random base62
 * characters (119 bits).
 */
import { BASE62, randomString } from "./keys/random";

export type IdKind = "acct" | "usr" | "key" | "ses" | "aud" | "evt";

/** A new random id of the given kind, e.g. `key_4fT0…`. */
export function newId(kind: IdKind): string {
  return `${kind}_${randomString(BASE62, 20)}`;
}

/** Whether `value` has the shape of an id of `kind` (a check before any lookup, not a lookup). */
export function isId(kind: IdKind, value: unknown): value is string {
  return typeof value === "string" && new RegExp(`^${kind}_[0-9A-Za-z]{20}$`).test(value);
}
