/**
 * The domain a `from` sends from (CONTRACT §8), read so that an attacker
 * cannot make the gateway see one domain while the origin, or a mail server
 * after it, sees another. Two forms only, and nothing ambiguous in either:
 *
 * - `addr@domain`
 * - `Name <addr@domain>`, `"Name, Inc." <addr@domain>` or `<addr@domain>`
 *
 * `addr` is a dot-atom (RFC 5322 atext, and any non-ASCII character as
 * RFC 6531 allows), so the address holds exactly one `@`: a quoted local part
 * (`"x@acme.test"@evil.test`), which some parsers split at its first `@`, is
 * refused. A display name is either quoted or free of the specials that would
 * make it something else (`@ , ; : < > ( ) [ ] \ "`): `ceo@acme.test <x@evil.test>`,
 * which some clients show as from acme.test, is refused, and the quoted
 * `"ceo@acme.test" <x@evil.test>` is from evil.test. Comments, groups,
 * several addresses, source routes, domain literals (`[192.0.2.1]`) and any
 * control character (a CR or LF would be a header injection) are refused.
 * The domain is read by domains.ts: canonical, compared in Punycode.
 */
import { normalizeDomain } from "./domains";

/** RFC 5322 atext, plus every non-ASCII character (RFC 6531's UTF-8 local parts). */
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-\\u0080-\\u{10FFFF}]+";
const DOT_ATOM = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`, "u");
/** Controls (C0, DEL, C1) and the Unicode line and paragraph separators. */
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
const QUOTED = /^"(?:[^"\\]|\\.)*"$/s;
/** A display name that is not quoted may hold none of these (a `.` is common, and harmless, in names). */
const SPECIALS = /[()<>[\]:;@\\,"]/;
/** RFC 5322's line limit: no legitimate address is longer. */
export const MAX_FROM_LENGTH = 998;

/** The canonical domain of a `from` value, or null when it is not one address of the two forms. */
export function senderDomain(from: string): string | null {
  if (from.length > MAX_FROM_LENGTH || CONTROL.test(from)) return null;
  const text = from.trim();
  let address = text;
  if (text.endsWith(">")) {
    const open = text.lastIndexOf("<");
    if (open === -1) return null;
    const name = text.slice(0, open).trim();
    if (name !== "" && !QUOTED.test(name) && SPECIALS.test(name)) return null;
    address = text.slice(open + 1, -1);
  }
  const at = address.lastIndexOf("@");
  if (at <= 0 || !DOT_ATOM.test(address.slice(0, at))) return null;
  const domain = normalizeDomain(address.slice(at + 1));
  return "domain" in domain ? domain.domain : null;
}
