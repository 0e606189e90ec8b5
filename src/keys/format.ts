/**
 * The API key format of CONTRACT §1: `mk_{prefix}_{secret}`, an 8-char
 * lowercase alphanumeric public prefix and a 24-char base62 secret whose last
 * 6 chars are the base62 CRC-32 of `mk_{prefix}_{first 18 chars}`. Parsing is
 * a pure function: a malformed key or a bad checksum is refused here, before
 * any cache or storage is consulted.
 */
import { crc32 } from "./crc32";
import { BASE62, LOWER_ALNUM, randomString } from "./random";

export const KEY_LENGTH = 36; // "mk_" + 8 + "_" + 24
const RANDOM_LENGTH = 18;
const CHECKSUM_LENGTH = 6;
const KEY_PATTERN = /^mk_[a-z0-9]{8}_[A-Za-z0-9]{24}$/;

export interface ParsedKey {
  prefix: string;
  /** The 24-char secret, checksum included. Never log it. */
  secret: string;
}

/** CRC-32 of `body` in base62, most significant digit first, 6 chars. */
export function checksum(body: string): string {
  let value = crc32(body);
  let out = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/** A new key: a random prefix and 18 random base62 chars (107 bits), plus checksum. */
export function generateKey(): { key: string; prefix: string; secret: string } {
  const prefix = randomString(LOWER_ALNUM, 8);
  const random = randomString(BASE62, RANDOM_LENGTH);
  const secret = random + checksum(`mk_${prefix}_${random}`);
  return { key: `mk_${prefix}_${secret}`, prefix, secret };
}

/** Splits a presented key, or returns null if it is malformed or its checksum is wrong. */
export function parseKey(raw: string | null | undefined): ParsedKey | null {
  if (raw == null || raw.length !== KEY_LENGTH || !KEY_PATTERN.test(raw)) return null;
  const body = raw.slice(0, KEY_LENGTH - CHECKSUM_LENGTH);
  if (checksum(body) !== raw.slice(KEY_LENGTH - CHECKSUM_LENGTH)) return null;
  return { prefix: raw.slice(3, 11), secret: raw.slice(12) };
}
