/**
 * Checking GitHub's signature on a secret-scanning report: ECDSA P-256 with
 * SHA-256 over the raw body bytes, sent as base64 DER
 * (`SEQUENCE { INTEGER r, INTEGER s }`). WebCrypto verifies the fixed-length
 * form instead (r and s, 32 bytes each, big-endian), so the DER is unpacked
 * first; anything that is not exactly one such sequence is refused.
 */

const COORDINATE = 32;

/** `r‖s` (64 bytes) from a DER ECDSA P-256 signature, or null if it is not one. */
export function derToRaw(der: Uint8Array): Uint8Array | null {
  let at = 0;
  const byte = () => (at < der.length ? (der[at++] as number) : -1);
  if (byte() !== 0x30) return null;
  let length = byte();
  if (length === 0x81) length = byte();
  if (length < 0 || at + length !== der.length) return null;
  const raw = new Uint8Array(2 * COORDINATE);
  for (const offset of [0, COORDINATE]) {
    if (byte() !== 0x02) return null;
    const size = byte();
    if (size < 1 || size > COORDINATE + 1 || at + size > der.length) return null;
    let value = der.subarray(at, at + size);
    at += size;
    // A leading zero only keeps a high first bit positive.
    while (value.length > COORDINATE && value[0] === 0) value = value.subarray(1);
    if (value.length > COORDINATE) return null;
    raw.set(value, offset + COORDINATE - value.length);
  }
  return at === der.length ? raw : null;
}

/** Bytes of base64 text, or null if it is not base64. */
export function fromBase64(text: string): Uint8Array | null {
  try {
    return Uint8Array.from(atob(text.trim()), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}

/** The public key of a PEM `-----BEGIN PUBLIC KEY-----` block (SPKI), for verifying, or null. */
export async function importPublicKey(pem: string): Promise<CryptoKey | null> {
  const der = fromBase64(pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, ""));
  if (!der) return null;
  try {
    return await crypto.subtle.importKey("spki", der, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
  } catch {
    return null;
  }
}

/** Whether `signature` (base64 DER) is `key`'s signature of `body`. */
export async function verifyReportSignature(key: CryptoKey, signature: string, body: Uint8Array): Promise<boolean> {
  const der = fromBase64(signature);
  const raw = der && derToRaw(der);
  if (!raw) return false;
  return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, raw, body);
}
