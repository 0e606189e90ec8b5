import { afterEach, describe, expect, it, vi } from "vitest";
import { hmacHex, secretsEqual, sha256Hex, timingSafeEqual, toHex } from "../../src/crypto";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("hex digests", () => {
  it("encodes bytes as lowercase hex", () => {
    expect(toHex(new Uint8Array([0, 1, 15, 16, 171, 255]))).toBe("00010f10abff");
    expect(toHex(new Uint8Array([222, 173]).buffer)).toBe("dead");
  });

  it("computes SHA-256 of text and of bytes (FIPS 180-2 'abc')", async () => {
    const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    expect(await sha256Hex("abc")).toBe(abc);
    expect(await sha256Hex(new Uint8Array([97, 98, 99]))).toBe(abc);
  });

  it("computes HMAC-SHA-256 as lowercase hex (RFC 4231 test case 2), the same with a cached key", async () => {
    const expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    expect(await hmacHex("Jefe", "what do ya want for nothing?")).toBe(expected);
    expect(await hmacHex("Jefe", new TextEncoder().encode("what do ya want for nothing?"))).toBe(expected);
  });

  it("makes the HMAC depend on the secret", async () => {
    expect(await hmacHex("pepper-one", "secret")).not.toBe(await hmacHex("pepper-two", "secret"));
  });
});

describe("timingSafeEqual (values of a fixed, public length)", () => {
  it("tells equal from different strings, including different lengths", () => {
    expect(timingSafeEqual("abc", "abc")).toBe(true);
    expect(timingSafeEqual("abc", "abd")).toBe(false);
    expect(timingSafeEqual("abc", "abcd")).toBe(false);
    expect(timingSafeEqual("abcd", "abc")).toBe(false);
    expect(timingSafeEqual("", "")).toBe(true);
  });
});

describe("secretsEqual (secrets whose length is itself secret)", () => {
  it("tells equal from different secrets, whatever their lengths", async () => {
    expect(await secretsEqual("correct-admin-token", "correct-admin-token")).toBe(true);
    expect(await secretsEqual("correct-admin-token", "correct-admin-tokeN")).toBe(false);
    expect(await secretsEqual("correct-admin-token", "correct")).toBe(false);
    expect(await secretsEqual("c", "correct-admin-token")).toBe(false);
    expect(await secretsEqual("", "correct-admin-token")).toBe(false);
    expect(await secretsEqual("", "")).toBe(true);
  });

  it("hashes both sides first, so a short guess and a same-length guess take the same path", async () => {
    const digest = vi.spyOn(crypto.subtle, "digest");
    await secretsEqual("a", "correct-admin-token");
    await secretsEqual("correct-admin-tokeX", "correct-admin-token");
    expect(digest).toHaveBeenCalledTimes(4);
    const lengths = digest.mock.calls.map(([, data]) => (data as Uint8Array).byteLength);
    expect(lengths).toEqual([1, 19, 19, 19]);
  });
});
