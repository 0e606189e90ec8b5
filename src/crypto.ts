/**
 * The gateway's one home for crypto primitives: hex encoding, SHA-256,
 * HMAC-SHA-256 (with the imported key cached per secret) and comparisons
 * that do not leak where two values differ. WebCrypto only and no imports,
 * so the shipped verifier (src/verify, bundled into dist/verify by esbuild)
 * uses this same file on Node, Deno, Bun and Workers.
 *
 * Two comparisons, for two cases. `timingSafeEqual` is synchronous and its
 * time depends only on the lengths: for values whose length is public (hex
 * digests, tokens of a fixed format), and for the data plane's warm path,
 * which must not await. `secretsEqual` hashes both sides first and compares
 * the fixed-length digests: for a secret whose length is itself secret (the
 * admin token), so a guess of any length takes the same path.
 *
 * `hmacSha256` (uncached, raw key bytes) and standard base64 serve the
 * webhook signatures, whose keys are per account.
 *
 * `seal`/`unseal` encrypt a short text under a key derived from a random
 * secret (the dashboard holds a new key, for one view, under its session token).
 */

const encoder = new TextEncoder();
const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

const bytesOf = (data: string | Uint8Array) =>
  (typeof data === "string" ? encoder.encode(data) : data) as Uint8Array<ArrayBuffer>;

/** Lowercase hex of a byte buffer. */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = "";
  for (let i = 0; i < view.length; i++) out += HEX[view[i] as number];
  return out;
}

/** Lowercase hex SHA-256 of `data` (a string is hashed as UTF-8). */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", bytesOf(data)));
}

// Importing a key costs about as much as the HMAC itself; secrets come from configuration, so few are ever cached.
const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    hmacKeys.set(secret, key);
  }
  return key;
}

/** HMAC-SHA-256 of `message` under `secret`, as lowercase hex. */
export async function hmacHex(secret: string, message: string | Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.sign("HMAC", await hmacKey(secret), bytesOf(message)));
}

/**
 * HMAC-SHA-256 of `message` under the raw key bytes (a string key is taken as
 * its UTF-8 bytes), not cached: for per-account keys (webhook secrets), of
 * which there are too many to keep.
 */
export async function hmacSha256(key: string | Uint8Array, message: string | Uint8Array): Promise<Uint8Array> {
  const imported = await crypto.subtle.importKey("raw", bytesOf(key), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  return new Uint8Array(await crypto.subtle.sign("HMAC", imported, bytesOf(message)));
}

/** Standard base64 (with `+`, `/` and `=` padding) of a byte buffer. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i] as number);
  return btoa(binary);
}

/** The bytes of standard base64 text (padding optional), or null if it is not base64. */
export function fromBase64(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * Whether two strings are equal, in time that depends only on their lengths
 * (never on where they differ). Synchronous; use it only where the length is
 * not secret, else use `secretsEqual`.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  }
  return diff === 0;
}

/** Whether two secrets are equal, leaking neither where they differ nor their lengths: both are hashed first. */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const [left, right] = await Promise.all([sha256Hex(a), sha256Hex(b)]);
  return timingSafeEqual(left, right);
}

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");

const fromBase64url = (text: string) =>
  Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (char) => char.charCodeAt(0));

/** An AES-256-GCM key derived (HKDF-SHA-256) from a high-entropy secret, for one `purpose` only. */
async function sealingKey(secret: string, purpose: string): Promise<CryptoKey> {
  const material = await crypto.subtle.importKey("raw", encoder.encode(secret), "HKDF", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: encoder.encode(purpose) },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}

/**
 * `plaintext` encrypted and authenticated (AES-256-GCM, random IV) under a key
 * derived from `secret` for `purpose`: base64url of IV + ciphertext. Only
 * the same secret and purpose open it. `secret` must be random (a session
 * token, not a password).
 */
export async function seal(secret: string, purpose: string, plaintext: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await sealingKey(secret, purpose);
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, key, encoder.encode(plaintext));
  return base64url(new Uint8Array([...iv, ...new Uint8Array(ciphertext)]));
}

/** The plaintext `seal` sealed, or null when the secret, the purpose or the sealed text is not the right one. */
export async function unseal(secret: string, purpose: string, sealed: string): Promise<string | null> {
  try {
    const bytes = fromBase64url(sealed);
    const key = await sealingKey(secret, purpose);
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: bytes.slice(0, 12) }, key, bytes.slice(12));
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}
