/**
 * Domain names of a key's `allowedSenderDomains` and of the addresses it
 * sends from (CONTRACT §8), in one canonical form: lowercase ASCII, an
 * international name in Punycode (`bücher.example` is `xn--bcher-kva.example`),
 * without the trailing dot of a fully qualified name. That form is what is
 * stored, returned by the admin API and compared, so a look-alike is never
 * the name it looks like: `аcme.test` with a Cyrillic `а` is
 * `xn--cme-5cd.test`, not `acme.test`.
 *
 * A name is read as IDNA (UTS-46) reads it, by the runtime's URL parser, after
 * Unicode NFC and lowercase; and then it must read back as written: a name
 * the mapping would change beyond case and normalization (fullwidth letters,
 * an ideographic full stop, an invisible soft hyphen or zero-width space, a
 * percent-escape, an IPv4 address in another notation) is refused rather
 * than silently taken for another. Labels are letters, digits and inner
 * hyphens, 1 to 63 characters, at least two of them, 253 characters in all,
 * the last not all digits; a `*.` wildcard is refused, since a domain already
 * allows its subdomains.
 */
import { domainToUnicode } from "./punycode";

export type DomainProblem =
  | { problem: "invalid" }
  | { problem: "ip" }
  /** `*.acme.test`: the domain meant, `acme.test`, allows its subdomains already. */
  | { problem: "wildcard"; meant: string }
  /** The name is one IDNA would read as `reads` (fullwidth letters, a soft hyphen…): refused as written. */
  | { problem: "mapped"; reads: string };

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** Never part of a domain name; the URL parser would read some of them as URL syntax. */
const NOT_IN_NAMES = /[\s\p{Cc}/\\?#@:%[\]<>^|"]/u;
const MAX_LENGTH = 253;

/** The host the URL parser makes of `name`, or null if it makes none. */
function urlHost(name: string): string | null {
  try {
    return new URL(`http://${name}/`).hostname;
  } catch {
    return null;
  }
}

/** A domain name in its canonical form, or why it is not one. */
export function normalizeDomain(input: string): { domain: string } | DomainProblem {
  if (input.startsWith("*.")) {
    const rest = normalizeDomain(input.slice(2));
    return "domain" in rest ? { problem: "wildcard", meant: rest.domain } : rest;
  }
  if (input.length === 0 || input.length > MAX_LENGTH * 4 || NOT_IN_NAMES.test(input)) return { problem: "invalid" };
  let written = input.normalize("NFC").toLowerCase();
  // One trailing dot is the fully qualified spelling of the same name.
  if (written.endsWith(".")) written = written.slice(0, -1);
  const ascii = urlHost(written);
  if (ascii === null || ascii.length > MAX_LENGTH) return { problem: "invalid" };
  const labels = ascii.split(".");
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return { problem: "invalid" };
  if (/^\d+$/.test(labels[labels.length - 1] as string)) return { problem: "ip" };
  // Read back: each label as written, or (international) its Punycode decoding, must be what was written.
  const writtenLabels = written.split(".");
  const same =
    writtenLabels.length === labels.length &&
    labels.every((label, i) => {
      const wrote = writtenLabels[i] as string;
      return label === wrote || (label.startsWith("xn--") && domainToUnicode(label) === wrote);
    });
  if (!same) return { problem: "mapped", reads: domainToUnicode(ascii) ?? ascii };
  return { domain: ascii };
}

/** A canonical domain as its owner would write it (`xn--` labels decoded), for display. */
export function displayDomain(domain: string): string {
  return domainToUnicode(domain) ?? domain;
}

/**
 * Whether `domain` (canonical) is one of `allowed` (canonical) or a subdomain
 * of one: `mail.acme.test` is under `acme.test`; `evilacme.test` and
 * `acme.test.evil.test` are not.
 */
export function domainAllowed(allowed: readonly string[], domain: string): boolean {
  for (const entry of allowed) {
    if (domain === entry) return true;
    const at = domain.length - entry.length - 1;
    if (at > 0 && domain.charCodeAt(at) === 46 && domain.endsWith(entry)) return true;
  }
  return false;
}
