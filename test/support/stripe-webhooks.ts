/**
 * Stripe's webhook signature check, ported line for line from the `stripe`
 * npm package (v23, `Webhooks.js`: `parseHeader`, `verifyHeaderAsync`,
 * `validateComputedSignature`, and `SubtleCryptoProvider`'s HMAC), so the
 * tests hold MoMail-Signature to what `stripe.webhooks.constructEvent(body,
 * header, secret)` accepts without adding that 23 MB package. Its rules: the
 * header is split on `,` and each item on `=`; `t` is the timestamp and
 * every `v1` a candidate; the HMAC-SHA256 of `{t}.{payload}` is keyed with
 * the secret string's UTF-8 bytes, in lowercase hex; any candidate may
 * match; the timestamp may be at most `tolerance` seconds old (300).
 */

export class StripeSignatureError extends Error {}

function parseHeader(header: string, scheme = "v1") {
  return header.split(",").reduce(
    (accum, item) => {
      const kv = item.split("=");
      if (kv[0] === "t") accum.timestamp = Number.parseInt(kv[1] as string, 10);
      if (kv[0] === scheme) accum.signatures.push(kv[1] as string);
      return accum;
    },
    { timestamp: -1, signatures: [] as string[] },
  );
}

async function computeHMACSignatureAsync(payload: string, secret: string): Promise<string> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const signature = new Uint8Array(await crypto.subtle.sign("hmac", key, encoder.encode(payload)));
  return Array.from(signature, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function secureCompare(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let result = 0;
  for (let i = 0; i < a.length; ++i) result |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return result === 0;
}

/** `stripe.webhooks.constructEventAsync(payload, header, secret, tolerance, undefined, receivedAt)`: the event, or a throw. */
export async function constructEvent(
  payload: string,
  header: string | undefined,
  secret: string,
  tolerance = 300,
  receivedAt = Date.now(),
): Promise<unknown> {
  if (!payload) throw new StripeSignatureError("No webhook payload was provided.");
  if (header == null || header === "") throw new StripeSignatureError("No stripe-signature header value was provided.");
  const details = parseHeader(header);
  if (details.timestamp === -1) {
    throw new StripeSignatureError("Unable to extract timestamp and signatures from header");
  }
  if (!details.signatures.length) throw new StripeSignatureError("No signatures found with expected scheme");
  const expected = await computeHMACSignatureAsync(`${details.timestamp}.${payload}`, secret);
  if (!details.signatures.some((signature) => secureCompare(expected, signature))) {
    throw new StripeSignatureError("No signatures found matching the expected signature for payload.");
  }
  if (tolerance > 0 && Math.floor(receivedAt / 1000) - details.timestamp > tolerance) {
    throw new StripeSignatureError("Timestamp outside the tolerance zone");
  }
  return JSON.parse(payload);
}
