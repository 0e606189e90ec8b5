/**
 * The `Idempotency-Key` header's rules (CONTRACT §9): it makes a `POST` or
 * `PATCH` under `/v1/` idempotent, scoped to the key's account; its value is
 * 1 to 255 printable ASCII characters (space to `~`), anything else a 400
 * that names the header. On any other method the header means nothing to the
 * gateway and goes on to the origin like any other header (it always does).
 */
import { ApiError } from "../errors";

export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";

/** The methods an Idempotency-Key applies to. */
const IDEMPOTENT_METHODS = new Set(["POST", "PATCH"]);
const WELL_FORMED = /^[\x20-\x7e]{1,255}$/;

/**
 * The request's Idempotency-Key, or undefined when it has none or its method
 * takes none; a 400 when the value breaks the rules.
 */
export function idempotencyKeyOf(method: string, headers: Headers): string | undefined {
  if (!IDEMPOTENT_METHODS.has(method)) return undefined;
  const value = headers.get(IDEMPOTENCY_KEY_HEADER);
  if (value === null) return undefined;
  if (!WELL_FORMED.test(value)) {
    throw new ApiError("BAD_REQUEST", "Idempotency-Key: must be 1 to 255 printable ASCII characters");
  }
  return value;
}
