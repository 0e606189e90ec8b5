/**
 * Webhook signatures (CONTRACT §7), signed by the gateway and checked by the
 * receiver with the same code. Every webhook POST carries
 *
 *   MoMail-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
 *
 * under the account's webhook secret (`whsec_…`, shown once when the
 * webhook URL is set). The receiver recomputes the HMAC over the raw body it
 * received (before any JSON parsing), compares in constant time, and refuses
 * a timestamp outside its tolerance (default 300 s), so a captured delivery
 * cannot be replayed later. Retries of one event carry the same body (same
 * event `id`) and a fresh `t`.
 */
import { hmacHex, timingSafeEqual } from "../crypto";

export const WEBHOOK_SIGNATURE_HEADER = "momail-signature";
const DEFAULT_TOLERANCE_SECONDS = 300;
const PATTERN = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/;

const encoder = new TextEncoder();

/** The bytes signed: `{t}.` then the raw body, byte for byte. */
function signedBytes(timestamp: number, body: Uint8Array | string): Uint8Array {
  const head = encoder.encode(`${timestamp}.`);
  const tail = typeof body === "string" ? encoder.encode(body) : body;
  const bytes = new Uint8Array(head.length + tail.length);
  bytes.set(head);
  bytes.set(tail, head.length);
  return bytes;
}

/** The MoMail-Signature value for `body` sent at `timestamp` (unix seconds). */
export async function signWebhook(secret: string, body: string, timestamp: number): Promise<string> {
  return `t=${timestamp},v1=${await hmacHex(secret, signedBytes(timestamp, body))}`;
}

export type WebhookVerifyResult =
  | { ok: true; timestamp: number }
  | { ok: false; reason: "missing-signature" | "expired" | "bad-signature" };

export interface WebhookVerifyOptions {
  /** The account's webhook secret (`whsec_…`). */
  secret: string;
  /** Accepted clock difference either way, in seconds (default 300). */
  toleranceSeconds?: number;
  /** The current time in epoch ms (for tests). */
  now?: number;
}

/**
 * Checks a webhook's MoMail-Signature header against its raw body. Pass the
 * bytes (or text) exactly as received, before parsing the JSON.
 */
export async function verifyWebhook(
  body: Uint8Array | string,
  signatureHeader: string | null | undefined,
  options: WebhookVerifyOptions,
): Promise<WebhookVerifyResult> {
  if (typeof options.secret !== "string" || options.secret === "") {
    throw new TypeError("secret: the account's webhook secret is required");
  }
  const match = PATTERN.exec(signatureHeader?.trim() ?? "");
  if (!match) return { ok: false, reason: "missing-signature" };
  const timestamp = Number(match[1]);
  const now = options.now ?? Date.now();
  if (Math.abs(now / 1000 - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) {
    return { ok: false, reason: "expired" };
  }
  const expected = await hmacHex(options.secret, signedBytes(timestamp, body));
  if (!timingSafeEqual(expected, match[2] as string)) return { ok: false, reason: "bad-signature" };
  return { ok: true, timestamp };
}

/** The same check for a Fetch API Request (its body is read from a clone). */
export async function verifyWebhookRequest(
  request: Request,
  options: WebhookVerifyOptions,
): Promise<WebhookVerifyResult> {
  const body = new Uint8Array(await request.clone().arrayBuffer());
  return verifyWebhook(body, request.headers.get(WEBHOOK_SIGNATURE_HEADER), options);
}
