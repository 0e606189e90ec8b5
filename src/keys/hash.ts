/**
 * Secret hashing: HMAC-SHA-256 of the key's secret under a server-side pepper.
 * Each stored hash records the pepper version it was made with, so the pepper
 * can be rotated while old keys keep verifying. Comparison is constant-time.
 */

const encoder = new TextEncoder();
const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    hmacKeys.set(secret, key);
  }
  return key;
}

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** Lowercase hex of a byte buffer. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (let i = 0; i < view.length; i++) out += HEX[view[i] as number];
  return out;
}

/** HMAC-SHA-256 of `message` under `secret`, as lowercase hex. */
export async function hmacHex(secret: string, message: string | Uint8Array): Promise<string> {
  const data = typeof message === "string" ? encoder.encode(message) : message;
  return toHex(await crypto.subtle.sign("HMAC", await hmacKey(secret), data));
}

/** Compares two strings in time that depends only on their lengths (the verifier's own comparison). */
export { timingSafeEqual as constantTimeEqual } from "../verify";
