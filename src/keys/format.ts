/**
 * The API key format of CONTRACT §1: `mk_{prefix}_{secret}`, an 8-char
 * lowercase alphanumeric public prefix and a 24-char base62 secret whose last
 * 6 chars are the base62 CRC-32 of `mk_{prefix}_{first 18 chars}`. Parsing is
 * a pure function: a malformed key or a bad checksum is refused here, before
 * any cache or storage is consulted. This file is the one home of the
 * format's character offsets.
 */
import { crc32 } from "./crc32";
import { BASE62 } from "./random";

/** `"mk_"` + 8 + `"_"` + 24. */
export const KEY_LENGTH = 36;
export const PREFIX_START = 3;
export const PREFIX_END = 11;
/** Where the secret starts: its first RANDOM_LENGTH chars are random, the rest is the checksum. */
export const SECRET_START = 12;
export const RANDOM_LENGTH = 18;
const CHECKSUM_START = SECRET_START + RANDOM_LENGTH;
const CHECKSUM_LENGTH = 6;
const KEY_PATTERN = /^mk_[a-z0-9]{8}_[A-Za-z0-9]{24}$/;
/** The start of a key anywhere in a text, in any case: `mk_`, 8 prefix chars, `_`, then base62. */
const KEY_LIKE = /mk_[a-z0-9]{8}_[a-z0-9]/i;

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

/** The full key for a prefix and 18 random base62 chars: the checksum is appended. */
export function formatKey(prefix: string, random: string): string {
  const body = `mk_${prefix}_${random}`;
  return body + checksum(body);
}

/** The prefix of a key-shaped string (no check). */
export const prefixOf = (raw: string) => raw.slice(PREFIX_START, PREFIX_END);
/** The secret of a key-shaped string (no check). */
export const secretOf = (raw: string) => raw.slice(SECRET_START);
/** The random part of a secret: what the prefix is derived from (see issue.ts). */
export const randomOf = (secret: string) => secret.slice(0, RANDOM_LENGTH);

/** Whether `text` holds something that looks like an API key (or a piece of one): never log, forward or echo it. */
export const looksLikeKey = (text: string) => KEY_LIKE.test(text);

/** Splits a presented key, or returns null if it is malformed or its checksum is wrong. */
export function parseKey(raw: string | null | undefined): ParsedKey | null {
  if (raw == null || raw.length !== KEY_LENGTH || !KEY_PATTERN.test(raw)) return null;
  if (checksum(raw.slice(0, CHECKSUM_START)) !== raw.slice(CHECKSUM_START)) return null;
  return { prefix: prefixOf(raw), secret: secretOf(raw) };
}
