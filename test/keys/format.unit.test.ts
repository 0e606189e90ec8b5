import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32 } from "../../src/keys/crc32";
import { checksum, formatKey, parseKey } from "../../src/keys/format";
import { BASE62, LOWER_ALNUM, randomString } from "../../src/keys/random";

const base62Char = fc.constantFrom(...BASE62.split(""));
const prefixChar = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789".split(""));
const wellFormedKey = fc
  .tuple(
    fc.string({ unit: prefixChar, minLength: 8, maxLength: 8 }),
    fc.string({ unit: base62Char, minLength: 18, maxLength: 18 }),
  )
  .map(([prefix, random]) => `mk_${prefix}_${random}${checksum(`mk_${prefix}_${random}`)}`);

describe("CRC-32", () => {
  it("matches the IEEE/zlib check value", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
    expect(crc32("")).toBe(0);
    expect(crc32("The quick brown fox jumps over the lazy dog")).toBe(0x414fa339);
  });
});

describe("checksum", () => {
  it("writes the CRC-32 in base62, most significant digit first, padded to 6 chars", () => {
    // Reference values computed with Python's zlib.crc32 and an independent base62 encoder.
    expect(checksum("123456789")).toBe("3jZRME");
    expect(checksum("mk_abcd1234_000000000000000000")).toBe("4Bd7Ij");
    expect(parseKey("mk_abcd1234_0000000000000000004Bd7Ij")).toEqual({
      prefix: "abcd1234",
      secret: "0000000000000000004Bd7Ij",
    });
    expect(checksum("")).toBe("000000");
  });
});

describe("randomString", () => {
  it("draws every base62 character about equally often (no modulo bias)", () => {
    const counts = new Map<string, number>();
    const sample = randomString(BASE62, 62_000);
    for (const char of sample) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect(counts.size).toBe(62);
    for (const count of counts.values()) {
      // Expected 1000 each; 6 standard deviations (~±190) is far outside chance.
      expect(count).toBeGreaterThan(810);
      expect(count).toBeLessThan(1190);
    }
  });
});

describe("parseKey", () => {
  it("accepts every well-formed key with a correct checksum", () => {
    fc.assert(
      fc.property(wellFormedKey, (key) => {
        expect(parseKey(key)).toEqual({ prefix: key.slice(3, 11), secret: key.slice(12) });
      }),
    );
  });

  it("rejects any single-character change to a valid key", () => {
    fc.assert(
      fc.property(wellFormedKey, fc.nat(35), fc.string({ minLength: 1, maxLength: 1 }), (key, index, char) => {
        fc.pre(key[index] !== char);
        const mutated = key.slice(0, index) + char + key.slice(index + 1);
        expect(parseKey(mutated)).toBeNull();
      }),
      { numRuns: 2000 },
    );
  });

  it("rejects truncated, extended and arbitrary strings", () => {
    fc.assert(
      fc.property(wellFormedKey, fc.string(), (key, extra) => {
        fc.pre(extra.length > 0);
        expect(parseKey(key + extra)).toBeNull();
        expect(parseKey(key.slice(0, 35))).toBeNull();
      }),
    );
    fc.assert(
      fc.property(fc.string(), (junk) => {
        expect(parseKey(junk)).toBeNull();
      }),
    );
  });

  it("rejects missing keys, wrong prefixes, upper-case prefixes and Unicode look-alikes", () => {
    const key = formatKey(randomString(LOWER_ALNUM, 8), randomString(BASE62, 18));
    expect(parseKey(undefined)).toBeNull();
    expect(parseKey(null)).toBeNull();
    expect(parseKey("")).toBeNull();
    expect(parseKey(`MK_${key.slice(3)}`)).toBeNull();
    expect(parseKey("mk_ABCD1234_0000000000000000004Bd7Ij")).toBeNull();
    // Cyrillic "о" (U+043E) in place of a Latin "o", and a full-width digit.
    expect(parseKey(key.replace(/.$/, "\u043e"))).toBeNull();
    expect(parseKey(`mk_${key.slice(3, 10)}\uff11_${key.slice(12)}`)).toBeNull();
    expect(parseKey(` ${key}`)).toBeNull();
  });
});
