/**
 * Webhook signatures (CONTRACT §7), made by the gateway and checked by the
 * receiver with the same code. Every webhook POST carries two signatures of
 * the same delivery, so a receiver can use whichever its stack knows:
 *
 *   MoMail-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">
 *   webhook-id: <event id>
 *   webhook-timestamp: <t>
 *   webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<t>.<raw body>">
 *
 * The first is Stripe's scheme, keyed with the whole secret string as UTF-8
 * (what Stripe's `webhooks.constructEvent` uses); the other three are
 * Standard Webhooks 1.0, keyed with the bytes the secret encodes: a secret
 * is `whsec_` + base64 (32 random bytes; secrets issued before were 32
 * base62 characters, which are base64 too and decode to 24 bytes, as stock
 * libraries do). For 24 hours after a secret is rolled, each header carries
 * one `v1` per secret in force, the newest first; a receiver accepts the
 * delivery if any `v1` matches its secret. Both are checked over the raw
 * body as received (before any JSON parsing), compared in constant time,
 * with the timestamp within a tolerance (default 300 s), so a captured
 * delivery cannot be replayed later. Retries of one event carry the same
 * body and id, and a fresh timestamp.
 */
import { fromBase64, hmacSha256, timingSafeEqual, toBase64, toHex } from "../crypto";

export const WEBHOOK_SIGNATURE_HEADER = "momail-signature";
export const WEBHOOK_ID_HEADER = "webhook-id";
export const WEBHOOK_TIMESTAMP_HEADER = "webhook-timestamp";
export const STANDARD_SIGNATURE_HEADER = "webhook-signature";
export const WEBHOOK_SECRET_PREFIX = "whsec_";

const DEFAULT_TOLERANCE_SECONDS = 300;
const TIMESTAMP = /^\d{1,12}$/;
const HEX_MAC = /^[0-9a-f]{64}$/;
const BASE64_MAC = /^[A-Za-z0-9+/]{43}=$/;
const MAX_ID_LENGTH = 256;

const encoder = new TextEncoder();

function concat(head: string, body: Uint8Array | string): Uint8Array {
  const start = encoder.encode(head);
  const tail = typeof body === "string" ? encoder.encode(body) : body;
  const bytes = new Uint8Array(start.length + tail.length);
  bytes.set(start);
  bytes.set(tail, start.length);
  return bytes;
}

/**
 * The key of the Standard Webhooks signature: the bytes the secret's base64
 * (after `whsec_`) encodes, as the specification's libraries decode it. A
 * secret whose rest is not base64 (none the gateway issues) is used as its
 * UTF-8 bytes, what those libraries take with their "raw" option.
 */
export function standardWebhookKey(secret: string): Uint8Array {
  const rest = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret;
  const decoded = fromBase64(rest);
  return decoded && decoded.length > 0 ? decoded : encoder.encode(secret);
}

const list = (secrets: string | readonly string[]) => (typeof secrets === "string" ? [secrets] : secrets);

/** Hex HMAC of `{t}.{body}` under the secret string (Stripe's scheme). */
async function momailMac(secret: string, body: Uint8Array | string, timestamp: number): Promise<string> {
  return toHex(await hmacSha256(secret, concat(`${timestamp}.`, body)));
}

/** Base64 HMAC of `{id}.{t}.{body}` under the bytes the secret encodes (Standard Webhooks). */
async function standardMac(secret: string, id: string, body: Uint8Array | string, timestamp: number): Promise<string> {
  return toBase64(await hmacSha256(standardWebhookKey(secret), concat(`${id}.${timestamp}.`, body)));
}

/** The MoMail-Signature value for `body` sent at `timestamp` (unix seconds): one `v1` per secret, in order. */
export async function signWebhook(secrets: string | readonly string[], body: string, timestamp: number) {
  const macs = await Promise.all(list(secrets).map((secret) => momailMac(secret, body, timestamp)));
  return [`t=${timestamp}`, ...macs.map((mac) => `v1=${mac}`)].join(",");
}

/** The webhook-signature value (Standard Webhooks): `v1,{base64}` per secret, in order, space-separated. */
export async function signStandardWebhook(
  secrets: string | readonly string[],
  id: string,
  body: string,
  timestamp: number,
): Promise<string> {
  const macs = await Promise.all(list(secrets).map((secret) => standardMac(secret, id, body, timestamp)));
  return macs.map((mac) => `v1,${mac}`).join(" ");
}

/** Every signature header of one delivery attempt: MoMail-Signature and the Standard Webhooks three. */
export async function webhookHeaders(delivery: {
  /** The secrets in force, newest first (two during a roll). */
  secrets: readonly string[];
  /** The event's id. */
  id: string;
  /** The raw body, exactly as sent. */
  body: string;
  /** Unix seconds of this attempt. */
  timestamp: number;
}): Promise<Record<string, string>> {
  const { secrets, id, body, timestamp } = delivery;
  const [momail, standard] = await Promise.all([
    signWebhook(secrets, body, timestamp),
    signStandardWebhook(secrets, id, body, timestamp),
  ]);
  return {
    [WEBHOOK_SIGNATURE_HEADER]: momail,
    [WEBHOOK_ID_HEADER]: id,
    [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
    [STANDARD_SIGNATURE_HEADER]: standard,
  };
}

export type WebhookVerifyResult =
  | {
      ok: true;
      /** The signed timestamp (unix seconds). */
      timestamp: number;
      /** Which signature verified: `standard` (webhook-signature) or `momail` (MoMail-Signature). */
      scheme: "standard" | "momail";
    }
  | { ok: false; reason: "missing-signature" | "expired" | "bad-signature" };

export interface WebhookVerifyOptions {
  /** The account's webhook secret (`whsec_…`). */
  secret: string;
  /** Accepted clock difference either way, in seconds (default 300). */
  toleranceSeconds?: number;
  /** The current time in epoch ms (for tests). */
  now?: number;
}

/** A delivery's headers: a Fetch API `Headers`, or a plain object such as Node's `req.headers`. */
export type WebhookHeaders = Headers | Record<string, string | readonly string[] | null | undefined>;

function headerOf(headers: WebhookHeaders, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return typeof value === "string" ? value : Array.isArray(value) ? value.join(", ") : undefined;
}

/** Whether `expected` equals any of `given`, comparing every one (constant time for each). */
function matchesAny(expected: string, given: readonly string[]): boolean {
  let found = false;
  for (const value of given) found = timingSafeEqual(expected, value) || found;
  return found;
}

function fresh(timestamp: number, options: WebhookVerifyOptions): boolean {
  const now = options.now ?? Date.now();
  return Math.abs(now / 1000 - timestamp) <= (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS);
}

/** `t` and the `v1` values of a MoMail-Signature (other keys ignored, as Stripe does), or null. */
function parseMomailHeader(header: string): { timestamp: number; macs: string[] } | null {
  let timestamp: number | null = null;
  const macs: string[] = [];
  for (const item of header.split(",")) {
    const [key, value = ""] = item.trim().split("=", 2);
    if (key === "t" && TIMESTAMP.test(value) && timestamp === null) timestamp = Number(value);
    else if (key === "t") return null;
    if (key === "v1" && HEX_MAC.test(value)) macs.push(value);
  }
  return timestamp === null || macs.length === 0 ? null : { timestamp, macs };
}

/** Checks MoMail-Signature: any of its `v1` values, under the secret string. */
async function verifyMomail(
  body: Uint8Array | string,
  header: string | null | undefined,
  options: WebhookVerifyOptions,
): Promise<WebhookVerifyResult> {
  const parsed = parseMomailHeader(header?.trim() ?? "");
  if (!parsed) return { ok: false, reason: "missing-signature" };
  if (!fresh(parsed.timestamp, options)) return { ok: false, reason: "expired" };
  const expected = await momailMac(options.secret, body, parsed.timestamp);
  if (!matchesAny(expected, parsed.macs)) return { ok: false, reason: "bad-signature" };
  return { ok: true, timestamp: parsed.timestamp, scheme: "momail" };
}

/** Checks the Standard Webhooks headers: any `v1,` value of webhook-signature, under the bytes the secret encodes. */
async function verifyStandard(
  body: Uint8Array | string,
  headers: WebhookHeaders,
  options: WebhookVerifyOptions,
): Promise<WebhookVerifyResult> {
  const id = headerOf(headers, WEBHOOK_ID_HEADER)?.trim() ?? "";
  const stamp = headerOf(headers, WEBHOOK_TIMESTAMP_HEADER)?.trim() ?? "";
  const macs = (headerOf(headers, STANDARD_SIGNATURE_HEADER) ?? "")
    .split(" ")
    .filter((item) => item.startsWith("v1,"))
    .map((item) => item.slice(3))
    .filter((mac) => BASE64_MAC.test(mac));
  if (!id || id.length > MAX_ID_LENGTH || !TIMESTAMP.test(stamp) || macs.length === 0) {
    return { ok: false, reason: "missing-signature" };
  }
  const timestamp = Number(stamp);
  if (!fresh(timestamp, options)) return { ok: false, reason: "expired" };
  const expected = await standardMac(options.secret, id, body, timestamp);
  if (!matchesAny(expected, macs)) return { ok: false, reason: "bad-signature" };
  return { ok: true, timestamp, scheme: "standard" };
}

/**
 * Checks a webhook against its raw body: pass the bytes (or text) exactly as
 * received, before parsing the JSON. Given the delivery's headers (a
 * `Headers` or Node's `req.headers`), either form verifies: the Standard
 * Webhooks headers when present, else (or when they fail) MoMail-Signature;
 * the first failure's reason is answered when neither verifies. Given one
 * string, it is the MoMail-Signature value and only that is checked.
 */
export async function verifyWebhook(
  body: Uint8Array | string,
  headers: WebhookHeaders | string | null | undefined,
  options: WebhookVerifyOptions,
): Promise<WebhookVerifyResult> {
  if (typeof options.secret !== "string" || options.secret === "") {
    throw new TypeError("secret: the account's webhook secret is required");
  }
  if (headers === null || headers === undefined || typeof headers === "string") {
    return verifyMomail(body, headers, options);
  }
  const results: WebhookVerifyResult[] = [];
  if (headerOf(headers, STANDARD_SIGNATURE_HEADER) !== undefined) {
    results.push(await verifyStandard(body, headers, options));
  }
  const momail = headerOf(headers, WEBHOOK_SIGNATURE_HEADER);
  if (momail !== undefined && !results[0]?.ok) results.push(await verifyMomail(body, momail, options));
  return results.find((result) => result.ok) ?? results[0] ?? { ok: false, reason: "missing-signature" };
}

/** The same check for a Fetch API Request, with either header set (its body is read from a clone). */
export async function verifyWebhookRequest(
  request: Request,
  options: WebhookVerifyOptions,
): Promise<WebhookVerifyResult> {
  const body = new Uint8Array(await request.clone().arrayBuffer());
  return verifyWebhook(body, request.headers, options);
}
