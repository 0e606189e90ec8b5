/**
 * Path safety (CONTRACT §1, "Paths"): a path an origin could read as another
 * path is refused with 400 before it can reach one. The gateway routes and
 * checks scopes on the path as the URL parser gives it; an origin may decode
 * it again, strip `;params` from segments (Tomcat, Jetty, Spring: so
 * `/v1/domains/..;/messages` becomes `/v1/messages`), resolve dot segments or
 * accept overlong UTF-8. So a path is refused if, at any depth of
 * percent-decoding, it has an encoded `/`, `\`, `.`, `;` or NUL, a raw `\`,
 * `;` or NUL, a `//`, a `.` or `..` segment, or an overlong UTF-8 lead byte.
 */
import { ApiError } from "../errors";
import { decodeOnce } from "../routes";

/** Encoded `/`, `\`, `.`, `;` and NUL: nothing a client has a reason to encode. */
const ENCODED = /%(?:2f|5c|2e|3b|00)/i;
/** Raw `\`, `;`, NUL, `//`, and the lead bytes of overlong UTF-8 (C0/C1, E0 80-9F, F0 80-8F) once decoded. */
const RAW = /[\\;\0]|\/\/|[\xc0\xc1]|\xe0[\x80-\x9f]|\xf0[\x80-\x8f]/;
const DOT_SEGMENT = /(?:^|\/)\.\.?(?:\/|$)/;
/** Beyond this many layers of percent-encoding, a path is refused outright. */
const MAX_DECODES = 4;

const refuse = () =>
  new ApiError(
    "BAD_REQUEST",
    "path: encoded slashes, backslashes, dots and semicolons, ';' parameters, dot segments and empty segments are not allowed",
  );

/** Throws 400 BAD_REQUEST ("path: …") unless `pathname` means the same to every origin. */
export function assertSafePath(pathname: string): void {
  let layer = pathname;
  for (let depth = 0; ; depth++) {
    if (ENCODED.test(layer) || RAW.test(layer) || DOT_SEGMENT.test(layer)) throw refuse();
    // The common case: nothing encoded, nothing more to look at.
    if (!layer.includes("%")) return;
    const decoded = decodeOnce(layer);
    if (decoded === layer) return;
    if (depth === MAX_DECODES) throw refuse();
    layer = decoded;
  }
}
