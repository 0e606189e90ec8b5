/**
 * Origin protection: the gateway's side of the signature that
 * `momail-gateway/verify` checks. The canonical string and the header's
 * format come from the verifier module itself, so the two never disagree.
 */
import { hmacHex } from "../crypto";
import { canonicalString, SIGNATURE_HEADER, type SignedFields, signatureHeader } from "../verify";

/** Adds the X-MoMail-Signature header (timestamp, nonce, body digest, HMAC) to `headers`. */
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
  headers.set(SIGNATURE_HEADER, signatureHeader(signed, await hmacHex(secret, canonicalString(signed))));
}
