/**
 * The generators the fuzz suites share (header values, code units). What every
 * fuzzed response must satisfy (the envelope, no leak) is test/support/envelope.ts.
 */
import fc from "fast-check";
import { BASE62, LOWER_ALNUM } from "../../src/keys/random";

/** A Latin-1 character a header value may hold: TAB, and 0x01-0xFF but NUL, CR and LF. */
export const latin1Char = fc
  .integer({ min: 1, max: 0xff })
  .filter((code) => code !== 0x0a && code !== 0x0d)
  .map((code) => String.fromCharCode(code));

/** An ASCII character a header value may hold: TAB, controls and printable, but NUL, CR and LF. */
const asciiChar = fc
  .integer({ min: 1, max: 0x7f })
  .filter((code) => code !== 0x0a && code !== 0x0d)
  .map((code) => String.fromCharCode(code));

/**
 * A header value of Latin-1 characters, tabs and obs-text included; one in
 * five has obs-text (0x80-0xFF), as workerd warns on stderr for each of those.
 */
export const latin1String = (maxLength = 64) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: asciiChar, maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: latin1Char, maxLength }) },
  );

/** Printable ASCII, which reaches the Node origin unchanged. */
export const asciiValue = fc
  .string({ unit: "binary-ascii", maxLength: 40 })
  .map((value) => value.replace(/[^\x21-\x7e]/g, "x"));

/** Any UTF-16 code unit, lone surrogates included (fast-check's "binary" unit never makes those). */
export const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));

/** A header name token. */
export const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,24}$/);

/** A character of a key's secret (base62). */
export const base62Char = fc.constantFrom(...BASE62);

/** A character of a key's prefix (lowercase alphanumeric). */
export const lowerAlnumChar = fc.constantFrom(...LOWER_ALNUM);
