/**
 * The request body on its way to the origin. A body of declared length is
 * streamed untouched (refused with 413 up front if the declared length is
 * over MAX_BODY_BYTES); a small one is buffered so its SHA-256 can be signed.
 * A body of unknown length is buffered up to MAX_BODY_BYTES and refused with
 * 413 the moment it grows past it, before the origin is called: erroring a
 * forwarded stream in workerd delivers a truncated body to the origin as if
 * complete, so an unbounded stream is never forwarded.
 */

import { sha256Hex } from "../crypto";
import { ApiError } from "../errors";
import { UNSIGNED_PAYLOAD } from "../verify";

/** Bodies up to this size are buffered and their digest signed; larger ones stream unsigned. */
export const SIGNED_BODY_MAX_BYTES = 64 * 1024;

export interface PreparedBody {
  body: ReadableStream<Uint8Array> | Uint8Array | null;
  /** SHA-256 hex of the body, or UNSIGNED-PAYLOAD. */
  contentSha256: string;
}

const tooLarge = () => new ApiError("PAYLOAD_TOO_LARGE", "Request body too large");

/** SHA-256 of the empty body, the digest of every bodiless request. */
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/**
 * Reads a stream to its end, or stops (cancelling it) as soon as it grows
 * past `max` bytes: then undefined. The reader is the caller's, who may
 * cancel it meanwhile (a deadline).
 */
export async function readAtMost(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  max: number,
): Promise<Uint8Array | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      // Not awaited: cancelling one branch of a tee settles only once the other branch ends too.
      reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** The whole stream, or a 413 the moment it grows past `max` (the stream is cancelled). */
export async function readAll(stream: ReadableStream<Uint8Array>, max: number): Promise<Uint8Array> {
  const body = await readAtMost(stream.getReader(), max);
  if (!body) throw tooLarge();
  return body;
}

const NO_BODY: PreparedBody = { body: null, contentSha256: EMPTY_SHA256 };

/**
 * The body's declared length (null if it declares none), or a 413 when it is
 * over `maxBytes`: checked before anything is counted, since it needs no byte read.
 */
export function assertDeclaredSize(request: Request, maxBytes: number): number | null {
  // A GET or HEAD sends no body on (see prepareBody), whatever Content-Length it carries.
  if (request.body === null || request.method === "GET" || request.method === "HEAD") return null;
  const declared = request.headers.get("content-length");
  if (declared === null || !/^\d+$/.test(declared)) return null;
  const length = Number(declared);
  if (length > maxBytes) throw tooLarge();
  return length;
}

/**
 * Checks the body against MAX_BODY_BYTES and decides how it travels and is
/**
 * Checks the body against MAX_BODY_BYTES and decides how it travels and is
 * signed. `buffered`: read and hashed whatever its length (an idempotent
 * request's fingerprint needs the SHA-256 before anything is forwarded).
 * `read`: the body as a sender check already read it
 * (restrictions/inspection.ts), whatever its length: forwarded and signed as read.
 */
export async function prepareBody(
  request: Request,
  maxBytes: number,
  how: { buffered?: boolean; read?: Uint8Array } = {},
): Promise<PreparedBody> {
  const { buffered = false, read } = how;
  if (request.body === null) return NO_BODY;
  if (request.method === "GET" || request.method === "HEAD") {
    // fetch cannot send a body with these: an empty one (a client's "Content-Length: 0") is dropped, any other refused.
    if ((read ?? (await readAll(request.body, maxBytes))).byteLength === 0) return NO_BODY;
    throw new ApiError("BAD_REQUEST", "body: a GET or HEAD request cannot have a body");
  }
  if (read) return { body: read, contentSha256: await sha256Hex(read) };
  const length = assertDeclaredSize(request, maxBytes);
  const streamed = !buffered && length !== null && length > SIGNED_BODY_MAX_BYTES;
  if (streamed) return { body: request.body, contentSha256: UNSIGNED_PAYLOAD };
  const body = await readAll(request.body, maxBytes);
  return { body, contentSha256: await sha256Hex(body) };
}
