/**
 * Keys made without the gateway, in pure code: the unit project (Node) and
 * the workers project both use them.
 */
import { formatKey } from "../../src/keys/format";
import { BASE62, LOWER_ALNUM, randomString } from "../../src/keys/random";

/** A well-formed key (valid checksum) that the gateway never issued: what a forger mints. */
export function forgedKey(prefix = randomString(LOWER_ALNUM, 8)): string {
  return formatKey(prefix, randomString(BASE62, 18));
}
