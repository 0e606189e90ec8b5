import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "../../src/auth/password";

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
