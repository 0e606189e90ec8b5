import { describe, expect, it } from "vitest";
import { parseConfig } from "../../src/config";
import { checksum, parseKey, SECRET_START } from "../../src/keys/format";
import { isIssued, issueKey, prefixFor } from "../../src/keys/issue";
import { forgedKey } from "../support/keys";

/** A development gateway's variables, as wrangler.toml has them. */
const VARS = {
  ENVIRONMENT: "development",
  UPSTREAM_URL: "http://127.0.0.1:8788",
  KEY_PEPPER: "dev-only-key-pepper-not-for-production",
  KEY_PREFIX_SECRET: "dev-only-key-prefix-secret-not-for-production",
  ORIGIN_SIGNING_SECRET: "dev-only-origin-signing-secret",
};
const config = parseConfig(VARS);
const withSecrets = (current: string, retired?: string) =>
  parseConfig({ ...VARS, KEY_PREFIX_SECRET: current, KEY_PREFIX_SECRETS_RETIRED: retired });

describe("issued keys", () => {
  it("are mk_{8 lowercase alnum}_{24 base62} with the contract's CRC-32, and verify as issued", async () => {
    for (let i = 0; i < 100; i++) {
      const { key, prefix, secret } = await issueKey(config);
      expect(key).toMatch(/^mk_[a-z0-9]{8}_[A-Za-z0-9]{24}$/);
      expect(key).toBe(`mk_${prefix}_${secret}`);
      expect(secret.slice(18)).toBe(checksum(`mk_${prefix}_${secret.slice(0, 18)}`));
      const parsed = parseKey(key);
      expect(parsed).toEqual({ prefix, secret });
      expect(await isIssued(config, parsed as NonNullable<typeof parsed>)).toBe(true);
    }
  });

  it("carry as prefix the MAC of their random part under KEY_PREFIX_SECRET", async () => {
    const { prefix, secret } = await issueKey(config);
    expect(await prefixFor(config.KEY_PREFIX_SECRET, secret.slice(0, 18))).toBe(prefix);
    expect(await prefixFor("another secret of some length", secret.slice(0, 18))).not.toBe(prefix);
  });

  it("do not repeat keys or prefixes", async () => {
    const keys = await Promise.all(Array.from({ length: 1000 }, () => issueKey(config)));
    expect(new Set(keys.map((k) => k.key)).size).toBe(1000);
    expect(new Set(keys.map((k) => k.prefix)).size).toBe(1000);
  });
});

describe("the forged-key check", () => {
  it("refuses well-formed keys with any prefix that the gateway never issued", async () => {
    for (let i = 0; i < 200; i++) {
      const parsed = parseKey(forgedKey());
      expect(parsed).not.toBeNull();
      expect(await isIssued(config, parsed as NonNullable<typeof parsed>)).toBe(false);
    }
  });

  it("refuses an issued key's prefix with another secret", async () => {
    const { prefix } = await issueKey(config);
    const parsed = parseKey(forgedKey(prefix));
    expect(await isIssued(config, parsed as NonNullable<typeof parsed>)).toBe(false);
  });

  it("keeps keys issued under a rotated-out secret valid while it is listed as retired", async () => {
    const before = withSecrets("first-prefix-secret-xxxxxxxxxxxxxxxxxxxx");
    const after = withSecrets("second-prefix-secret-xxxxxxxxxxxxxxxxxxx", "first-prefix-secret-xxxxxxxxxxxxxxxxxxxx");
    const dropped = withSecrets("second-prefix-secret-xxxxxxxxxxxxxxxxxxx");
    const old = parseKey((await issueKey(before)).key) as NonNullable<ReturnType<typeof parseKey>>;
    const fresh = parseKey((await issueKey(after)).key) as NonNullable<ReturnType<typeof parseKey>>;
    expect(await isIssued(after, old)).toBe(true);
    expect(await isIssued(after, fresh)).toBe(true);
    expect(await isIssued(dropped, old)).toBe(false);
    expect(await isIssued(before, fresh)).toBe(false);
    expect(old.secret).toHaveLength(36 - SECRET_START);
  });
});
