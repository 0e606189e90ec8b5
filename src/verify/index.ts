/**
 * Origin-side verification of the MoMail gateway's request signature.
 * Dependency-free (WebCrypto only: Node 20+, Workers, Deno, Bun); import it
 * as `momail-gateway/verify`. Its crypto is the gateway's own (src/crypto.ts),
 * inlined into dist/verify/index.js when built.
 *
 * The gateway signs every forwarded request with HMAC-SHA-256 under the
 * shared ORIGIN_SIGNING_SECRET over: a version tag, the timestamp, a nonce,
 * the method, the path and query exactly as the origin receives them (an
 * upstream's base path included), the account id, the key id, the request
 * id, the key's mode (`live` or `test`) and the body's SHA-256 (or
 * UNSIGNED-PAYLOAD for bodies too large to buffer, see the README). It sends
 * them in one header,
 *
 *   X-MoMail-Signature: t=<epoch seconds>,nonce=<uuid>,body=<sha256 hex>,v2=<hmac hex>
 *
 * beside X-MoMail-Account-Id, X-MoMail-Key-Id, X-MoMail-Mode and
 * X-Request-Id. A request is accepted only if the signature matches
 * (compared in constant time), its timestamp is within the replay window
 * (default 60 s) and, with a verifier from `createVerifier`, its nonce has not
 * been seen before. The result says the key's mode: an origin sends nothing
 * for real on a `test` request.
 *
 * Signatures of the first version (`v1=`, no mode), which gateways sent
 * before test keys existed, are refused ("unsupported-version") unless
 * `acceptV1` is set: only while a gateway that predates modes may still be
 * running (see the README's upgrade order). A v1 request is then `live`.
 *
 * The replay memory never forgets a nonce while its timestamp is still
 * accepted. It holds at most `maxNonces` (default 100,000) nonces; when it is
 * full of live ones it fails closed: the request is refused with reason
 * "replay-cache-full" until old nonces expire (at most twice the window). So
 * size `maxNonces` above your peak rate of gateway requests times twice
 * `toleranceSeconds`.
 *
 * The secret must be the one the gateway has: at least 32 characters and not
 * a "dev-only-" default (createVerifier and verifySignature throw otherwise).
 *
 * `verifyWebhook` (webhook.ts, re-exported here) checks the signatures of the
 * gateway's webhooks on an account's receiver: MoMail-Signature (Stripe's
 * scheme) or the Standard Webhooks headers, any of their `v1` values.
 *
 * @example
 * const verify = createVerifier({ secret: process.env.ORIGIN_SIGNING_SECRET });
 * const result = await verify(request); // a Fetch API Request
 * if (!result.ok) return new Response("Forbidden", { status: 403 });
 * // result.accountId and result.keyId name the caller.
 */
import { hmacHex, sha256Hex, timingSafeEqual } from "../crypto";

export { sha256Hex, timingSafeEqual };

export const SIGNATURE_HEADER = "x-momail-signature";
export const ACCOUNT_HEADER = "x-momail-account-id";
export const KEY_HEADER = "x-momail-key-id";
export const REQUEST_ID_HEADER = "x-request-id";
export const MODE_HEADER = "x-momail-mode";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
const VERSION = "MOMAIL-HMAC-SHA256-v2";
const VERSION_1 = "MOMAIL-HMAC-SHA256-v1";

/** The mode of the key a request was made with: `test` requests must not act for real. */
export type Mode = "live" | "test";

export interface SignedFields {
  timestamp: string;
  nonce: string;
  method: string;
  /** Path and query exactly as forwarded, e.g. `/v1/domains?page=2`. */
  pathAndQuery: string;
  accountId: string;
  keyId: string;
  requestId: string;
  /** The key's mode, as X-MoMail-Mode says it. */
  mode: Mode;
  /** Lowercase hex SHA-256 of the body (of the empty body if none), or UNSIGNED-PAYLOAD. */
  contentSha256: string;
}

/** The exact string the signature covers, one field per line. */
export function canonicalString(fields: SignedFields): string {
  return [
    VERSION,
    fields.timestamp,
    fields.nonce,
    fields.method.toUpperCase(),
    fields.pathAndQuery,
    fields.accountId,
    fields.keyId,
    fields.requestId,
    fields.mode,
    fields.contentSha256,
  ].join("\n");
}

/** The string a first-version signature covers: the same without the mode (read only with `acceptV1`). */
function canonicalStringV1(fields: Omit<SignedFields, "mode">): string {
  const { timestamp, nonce, method, pathAndQuery, accountId, keyId, requestId, contentSha256 } = fields;
  return [
    VERSION_1,
    timestamp,
    nonce,
    method.toUpperCase(),
    pathAndQuery,
    accountId,
    keyId,
    requestId,
    contentSha256,
  ].join("\n");
}

/** The X-MoMail-Signature header value for a request's signed fields and their HMAC (hex). */
export function signatureHeader(
  fields: Pick<SignedFields, "timestamp" | "nonce" | "contentSha256">,
  mac: string,
): string {
  return `t=${fields.timestamp},nonce=${fields.nonce},body=${fields.contentSha256},v2=${mac}`;
}

const SIGNATURE_PATTERN = /^t=(\d+),nonce=([\w-]+),body=([0-9a-f]{64}|UNSIGNED-PAYLOAD),v([12])=([0-9a-f]{64})$/;

/** The parts of an X-MoMail-Signature header (`version` 2, or 1 for a gateway before modes), or null if it is not one. */
export function parseSignatureHeader(
  value: string,
): { timestamp: string; nonce: string; contentSha256: string; version: 1 | 2; mac: string } | null {
  const match = SIGNATURE_PATTERN.exec(value);
  if (!match) return null;
  const [, timestamp, nonce, contentSha256, version, mac] = match as unknown as string[] as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  return { timestamp, nonce, contentSha256, version: version === "1" ? 1 : 2, mac };
}

/** Lowercase hex HMAC-SHA-256 of the canonical string under `secret`. */
export function computeSignature(secret: string, fields: SignedFields): Promise<string> {
  return hmacHex(secret, canonicalString(fields));
}

/** The shortest secret the verifier accepts, as the gateway requires in production. */
export const MIN_SECRET_LENGTH = 32;

/** Throws unless `secret` could be a real shared secret (long enough, not a published dev default). */
export function assertUsableSecret(secret: unknown): asserts secret is string {
  if (typeof secret === "string" && secret.startsWith("dev-only-")) {
    throw new TypeError("ORIGIN_SIGNING_SECRET: is a public development default; use the gateway's real secret");
  }
  if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH) {
    throw new TypeError(`ORIGIN_SIGNING_SECRET: must be at least ${MIN_SECRET_LENGTH} characters`);
  }
}

export type VerifyResult =
  | { ok: true; accountId: string; keyId: string; requestId: string; mode: Mode; timestamp: number; nonce: string }
  | {
      ok: false;
      reason:
        | "missing-headers"
        | "unsupported-version"
        | "expired"
        | "bad-signature"
        | "body-mismatch"
        | "replayed"
        | "replay-cache-full";
    };

export interface VerifyOptions {
  secret: string;
  /** Accepted clock difference either way, in seconds (default 60). */
  toleranceSeconds?: number;
  /**
   * Also accept first-version signatures (`v1=`, no mode), read as `live`:
   * only while upgrading from a gateway that predates test keys (README).
   */
  acceptV1?: boolean;
  /** The current time in epoch ms (for tests). */
  now?: number;
}

/** What a request looks like to the verifier, whatever the server framework. */
export interface SignedRequestParts {
  method: string;
  /** Path and query as received, e.g. `req.url` in Node's http module. */
  pathAndQuery: string;
  /** Header lookup by lowercase name. */
  header: (name: string) => string | null | undefined;
  /** The raw body, needed only when the signature covers its digest. */
  body?: Uint8Array | string;
}

/** Verifies one request's signature, timestamp and body digest (no replay memory; see createVerifier). */
export async function verifySignature(parts: SignedRequestParts, options: VerifyOptions): Promise<VerifyResult> {
  assertUsableSecret(options.secret);
  const get = (name: string) => parts.header(name) ?? "";
  const signature = parseSignatureHeader(get(SIGNATURE_HEADER));
  if (!signature) return { ok: false, reason: "missing-headers" };
  if (signature.version === 1 && !options.acceptV1) return { ok: false, reason: "unsupported-version" };
  // A first-version request predates modes: every key was live then. Otherwise the signed header says.
  const mode = signature.version === 1 ? "live" : get(MODE_HEADER);
  if (mode !== "live" && mode !== "test") return { ok: false, reason: "missing-headers" };
  const fields: SignedFields = {
    timestamp: signature.timestamp,
    nonce: signature.nonce,
    method: parts.method,
    pathAndQuery: parts.pathAndQuery,
    accountId: get(ACCOUNT_HEADER),
    keyId: get(KEY_HEADER),
    requestId: get(REQUEST_ID_HEADER),
    mode,
    contentSha256: signature.contentSha256,
  };
  const timestamp = Number(fields.timestamp);
  const now = options.now ?? Date.now();
  if (Math.abs(now / 1000 - timestamp) > (options.toleranceSeconds ?? 60)) return { ok: false, reason: "expired" };
  const expected =
    signature.version === 1
      ? await hmacHex(options.secret, canonicalStringV1(fields))
      : await computeSignature(options.secret, fields);
  if (!timingSafeEqual(expected, signature.mac)) {
    return { ok: false, reason: "bad-signature" };
  }
  if (fields.contentSha256 !== UNSIGNED_PAYLOAD && (await sha256Hex(parts.body ?? "")) !== fields.contentSha256) {
    return { ok: false, reason: "body-mismatch" };
  }
  const { accountId, keyId, requestId, nonce } = fields;
  return { ok: true, accountId, keyId, requestId, mode, timestamp, nonce };
}

/** The path and query of an absolute URL as written, a lone "?" included (URL.search drops it). */
function pathAndQueryOf(url: string): string {
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  if (pathStart === -1) return "/";
  const hash = url.indexOf("#", pathStart);
  return url.slice(pathStart, hash === -1 ? undefined : hash);
}

/** The parts of a Fetch API Request (the body is read from a clone when it is signed). */
export async function requestParts(request: Request): Promise<SignedRequestParts> {
  const unsigned = request.headers.get(SIGNATURE_HEADER)?.includes(`body=${UNSIGNED_PAYLOAD}`) ?? false;
  return {
    method: request.method,
    pathAndQuery: pathAndQueryOf(request.url),
    header: (name) => request.headers.get(name),
    body: !unsigned && request.body !== null ? new Uint8Array(await request.clone().arrayBuffer()) : undefined,
  };
}

/**
 * A verifier that also refuses a nonce it has already accepted inside the
 * replay window, so a captured request cannot be replayed even within it.
 * Takes a Fetch API Request or SignedRequestParts. Throws at once if the
 * secret is too short or a dev-only default; fails closed when its nonce
 * memory (`maxNonces`) is full of live nonces (see the module comment).
 */
export function createVerifier(options: VerifyOptions & { maxNonces?: number }) {
  assertUsableSecret(options.secret);
  // Nonce -> the time (ms) after which its timestamp is refused anyway; roughly in expiry order.
  const seen = new Map<string, number>();
  const toleranceMs = (options.toleranceSeconds ?? 60) * 1000;
  const maxNonces = options.maxNonces ?? 100_000;
  const forgetExpired = (now: number, all: boolean) => {
    for (const [nonce, expires] of seen) {
      if (expires < now) seen.delete(nonce);
      else if (!all) break;
    }
  };
  return async function verify(request: Request | SignedRequestParts): Promise<VerifyResult> {
    const parts = request instanceof Request ? await requestParts(request) : request;
    // One clock reading for both checks, so a nonce cannot expire between them.
    const now = options.now ?? Date.now();
    const result = await verifySignature(parts, { ...options, now });
    if (!result.ok) return result;
    forgetExpired(now, false);
    if (seen.has(result.nonce)) return { ok: false, reason: "replayed" };
    // Timestamps are not strictly ordered, so before refusing look past the first live entry.
    if (seen.size >= maxNonces) forgetExpired(now, true);
    if (seen.size >= maxNonces) return { ok: false, reason: "replay-cache-full" };
    seen.set(result.nonce, result.timestamp * 1000 + toleranceMs);
    return result;
  };
}

export {
  STANDARD_SIGNATURE_HEADER,
  signStandardWebhook,
  signWebhook,
  standardWebhookKey,
  verifyWebhook,
  verifyWebhookRequest,
  WEBHOOK_ID_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
  type WebhookHeaders,
  type WebhookVerifyOptions,
  type WebhookVerifyResult,
  webhookHeaders,
} from "./webhook";
