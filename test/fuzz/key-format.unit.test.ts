/**
 * The key format against an independent model, in Node: `parseKey` (a pure
 * function) accepts exactly the strings a bitwise CRC-32 and a BigInt base62,
 * written here and not taken from the gateway, call valid.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseKey } from "../../src/keys/format";
import { BASE62 } from "../../src/keys/random";
import { anyCodeUnit, base62Char, latin1Char, lowerAlnumChar } from "./invariants";

/** An independent model of the key format: a bitwise CRC-32 and a BigInt base62, not the gateway's code. */
function referenceChecksum(body: string): string {
  let crc = 0xffffffff;
  for (let i = 0; i < body.length; i++) {
    crc ^= body.charCodeAt(i) & 0xff;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  let value = BigInt((crc ^ 0xffffffff) >>> 0);
  let out = "";
  for (let i = 0; i < 6; i++) {
    out = BASE62[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out;
}

function referenceValid(raw: string): boolean {
  return /^mk_[a-z0-9]{8}_[A-Za-z0-9]{24}$/.test(raw) && referenceChecksum(raw.slice(0, 30)) === raw.slice(30);
}

/** 36-char strings shaped like keys, with some positions replaced by any code unit, and the checksum often right. */
const nearKey = fc
  .tuple(
    fc.string({ unit: lowerAlnumChar, minLength: 8, maxLength: 8 }),
    fc.string({ unit: base62Char, minLength: 18, maxLength: 18 }),
    fc.array(fc.tuple(fc.nat(35), fc.oneof(anyCodeUnit, latin1Char)), { maxLength: 2 }),
    fc.boolean(),
  )
  .map(([prefix, random, changes, changeAfterChecksum]) => {
    let body = `mk_${prefix}_${random}`;
    const apply = (text: string) =>
      changes.reduce(
        (s, [index, char]) => (index < s.length ? s.slice(0, index) + char + s.slice(index + 1) : s),
        text,
      );
    if (!changeAfterChecksum) body = apply(body);
    const key = body + referenceChecksum(body);
    return changeAfterChecksum ? apply(key) : key;
  });

describe("parseKey against an independent model", () => {
  it("accepts a 36-char string exactly when the shape and the reference checksum say so", () => {
    fc.assert(
      fc.property(nearKey, (raw) => {
        const parsed = parseKey(raw);
        expect(parsed !== null).toBe(referenceValid(raw));
        if (parsed) expect(`mk_${parsed.prefix}_${parsed.secret}`).toBe(raw);
      }),
      { numRuns: 1000 },
    );
  });

  it("never throws and never accepts arbitrary UTF-16, lone surrogates included", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 80 }), (raw) => {
        expect(parseKey(raw) !== null).toBe(referenceValid(raw));
      }),
      { numRuns: 1000 },
    );
  });
});
