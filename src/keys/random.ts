/**
 * Uniform random strings from crypto.getRandomValues. Bytes at or above the
 * largest multiple of the alphabet size are rejected, so every character is
 * exactly equally likely (no modulo bias).
 */

export const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
export const LOWER_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyz";

/** `length` characters drawn uniformly from `alphabet` (at most 256 symbols). */
export function randomString(alphabet: string, length: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    // getRandomValues fills at most 64 KiB at a time.
    const bytes = crypto.getRandomValues(new Uint8Array(Math.min(65_536, (length - out.length) * 2)));
    for (const byte of bytes) {
      if (byte >= limit) continue;
      out += alphabet[byte % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}
