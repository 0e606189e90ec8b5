import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "../../src/auth/password";
import { constantTimeEqual, hmacHex } from "../../src/keys/hash";

describe("hmacHex", () => {
  it("computes HMAC-SHA-256 as lowercase hex (RFC 4231 test case 2)", async () => {
    expect(await hmacHex("Jefe", "what do ya want for nothing?")).toBe(
      "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });

  it("depends on the pepper", async () => {
    expect(await hmacHex("pepper-one", "secret")).not.toBe(await hmacHex("pepper-two", "secret"));
  });
});

describe("constantTimeEqual", () => {
  it("tells equal from different strings, including different lengths", () => {
    expect(constantTimeEqual("abc", "abc")).toBe(true);
    expect(constantTimeEqual("abc", "abd")).toBe(false);
    expect(constantTimeEqual("abc", "abcd")).toBe(false);
    expect(constantTimeEqual("", "")).toBe(true);
  });
});

describe("password hashing", () => {
  it("stores PBKDF2-SHA-256 at 100,000 iterations with a per-user salt", async () => {
    const first = await hashPassword("correct horse battery staple");
    const second = await hashPassword("correct horse battery staple");
    expect(first).toMatch(/^pbkdf2-sha256\$100000\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(first).not.toBe(second);
    expect(first).not.toContain("correct horse");
  });

  it("verifies the right password and refuses a wrong or malformed one", async () => {
    const stored = await hashPassword("s3cret-passw0rd");
    expect(await verifyPassword("s3cret-passw0rd", stored)).toBe(true);
    expect(await verifyPassword("s3cret-passw0rD", stored)).toBe(false);
    expect(await verifyPassword("s3cret-passw0rd", "not-a-hash")).toBe(false);
  });
});
