/**
 * `npm run bench:micro`: the key check's hot path in operations per second,
 * inside workerd: parsing with the checksum, the isolate-cache hit, and the
 * secret comparison (constant time against the verified secret, or the
 * HMAC-SHA-256 a cold entry needs once).
 */
import { bench, describe } from "vitest";
import { ClockCache } from "../../src/cache";
import { hmacHex, timingSafeEqual } from "../../src/crypto";
import { checksum, formatKey, parseKey } from "../../src/keys/format";
import { BASE62, LOWER_ALNUM, randomString } from "../../src/keys/random";

const PEPPER = "dev-only-key-pepper-not-for-production";
const randomKey = () => formatKey(randomString(LOWER_ALNUM, 8), randomString(BASE62, 18));
const key = randomKey();
const { prefix, secret } = parseKey(key) as { prefix: string; secret: string };
const junk = `${key.slice(0, 30)}${checksum("something else")}`;
const cache = new ClockCache<{ verified: string }>(10_000);
for (let i = 0; i < 9_999; i++) cache.set(randomKey().slice(3, 11), { verified: "x" }, 60_000);
cache.set(prefix, { verified: secret }, 60_000);

describe("key check hot path", () => {
  bench("parse + checksum (valid key)", () => {
    parseKey(key);
  });
  bench("parse + checksum (junk key, refused)", () => {
    parseKey(junk);
  });
  bench("isolate cache hit (10,000 entries)", () => {
    cache.get(prefix);
  });
  bench("constant-time compare with the verified secret", () => {
    timingSafeEqual(secret, secret);
  });
  bench("warm path: parse + checksum + cache hit + compare", () => {
    const parsed = parseKey(key);
    const entry = parsed && cache.get(parsed.prefix);
    if (!entry || !timingSafeEqual(entry.verified, parsed.secret)) throw new Error("refused");
  });
  bench("cold entry: HMAC-SHA-256 of the secret (once per isolate)", async () => {
    await hmacHex(PEPPER, secret);
  });
});
