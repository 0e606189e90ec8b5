/**
 * Origin protection: the gateway's side of the signature that
 * `momail-gateway/verify` checks. The canonical string comes from the
 * verifier module itself, so the two can never disagree.
 */
import { hmacHex } from "../keys/hash";
import {
  CONTENT_SHA256_HEADER,
  canonicalString,
  NONCE_HEADER,
  SIGNATURE_HEADER,
  type SignedFields,
  TIMESTAMP_HEADER,
} from "../verify";

/** Adds X-MoMail-Timestamp, -Nonce, -Content-SHA256 and -Signature to `headers`. */
export async function signRequest(
  headers: Headers,
  secret: string,
  fields: Omit<SignedFields, "timestamp" | "nonce">,
): Promise<void> {
  const signed: SignedFields = {
    ...fields,
    timestamp: String(Math.floor(Date.now() / 1000)),
    nonce: crypto.randomUUID(),
  };
  headers.set(TIMESTAMP_HEADER, signed.timestamp);
  headers.set(NONCE_HEADER, signed.nonce);
  headers.set(CONTENT_SHA256_HEADER, signed.contentSha256);
  headers.set(SIGNATURE_HEADER, `v1=${await hmacHex(secret, canonicalString(signed))}`);
}
