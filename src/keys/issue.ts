/**
 * Telling the gateway's own keys from forgeries without any lookup. The CRC-32
 * of the key format is public, so anyone can mint well-formed keys; if each
 * one cost a KV read and a D1 query, a botnet could turn the edge into a D1
 * load generator. So a key's prefix is not random: it is derived from the
 * secret's 18 random characters by HMAC-SHA-256 under KEY_PREFIX_SECRET,
 * whose first 8 bytes, each taken modulo 36, are the 8 base36 characters of
 * the prefix. One HMAC at the edge then refuses a forged key (any prefix, any
 * secret) or an issued prefix with a wrong secret, with no KV, D1 or Durable
 * Object operation: guessing the prefix of a chosen secret takes 36^8 ≈ 2^41
 * tries. (The modulo makes 4 of the 36 characters 8/7 as likely as the
 * others: under 0.1 bit fewer than 41.4 bits, and uniqueness is checked by D1.)
 *
 * The format stays exactly CONTRACT §1's, CRC-32 included, so secret scanners
 * still validate keys offline. Rotating KEY_PREFIX_SECRET keeps old keys
 * working: the old secret moves to KEY_PREFIX_SECRETS_RETIRED, and a key
 * verifies if its prefix is the MAC under any of them.
 */
import type { Config } from "../config";
import { hmacHex, timingSafeEqual } from "../crypto";
import { formatKey, type ParsedKey, RANDOM_LENGTH, randomOf, secretOf } from "./format";
import { BASE62, LOWER_ALNUM, randomString } from "./random";

const PREFIX_LENGTH = 8;

/** The prefix a key with these random chars has when issued under `secret`. */
export async function prefixFor(secret: string, random: string): Promise<string> {
  const mac = await hmacHex(secret, random);
  let prefix = "";
  for (let i = 0; i < PREFIX_LENGTH; i++) {
    prefix += LOWER_ALNUM[Number.parseInt(mac.slice(2 * i, 2 * i + 2), 16) % LOWER_ALNUM.length];
  }
  return prefix;
}

/** A new key under the current KEY_PREFIX_SECRET; `key` is the full key, shown once. */
export async function issueKey(config: Config): Promise<{ key: string; prefix: string; secret: string }> {
  const random = randomString(BASE62, RANDOM_LENGTH);
  const prefix = await prefixFor(config.KEY_PREFIX_SECRET, random);
  const key = formatKey(prefix, random);
  return { key, prefix, secret: secretOf(key) };
}

/** Whether the gateway issued a key with this prefix and secret (under the current or a retired secret). */
export async function isIssued(config: Config, key: ParsedKey): Promise<boolean> {
  const random = randomOf(key.secret);
  for (const secret of config.prefixSecrets) {
    // Constant time: an early exit would tell a forger how many leading characters it got right.
    if (timingSafeEqual(await prefixFor(secret, random), key.prefix)) return true;
  }
  return false;
}
