/**
 * The origin's answer to a first idempotent request, streamed to the client
 * as it comes while a copy is taken for keeping (CONTRACT §9). The body is
 * teed: the client's branch goes at the client's pace; the copy is read at
 * the origin's, up to IDEMPOTENCY_MAX_BYTES, and goes on if the client
 * leaves (the origin has answered: a retry gets the answer rather than a
 * second call). The copy stops, and is dropped, the moment it grows past the
 * bound ("too large"), when the body is still coming KEEP_BODY_MS after the
 * headers ("too slow"), or when the body fails (nothing is kept then).
 *
 * What is kept and what is fresh on a replay: the origin's status, status
 * text, headers (as the client got them: hop-by-hop ones were removed) and
 * body are kept and replayed byte for byte (Content-Length aside: the
 * runtime sets it from the body); the gateway's own headers are the
 * repeat's: X-Request-Id, the rate-limit headers (X-RateLimit-*,
 * RateLimit-Policy, RateLimit, X-Quota-*), set by the data plane on every
 * response, and Idempotent-Replayed: true.
 */
import { TIMED_OUT, withDeadline } from "../deadline";
import { readAtMost } from "../proxy/body";
import type { KeptAnswer, NotKeptReason } from "./protocol";

/** How the copy of an answer ended. */
export type Copy =
  | { kind: "complete"; answer: KeptAnswer }
  | { kind: "not_kept"; reason: NotKeptReason }
  | { kind: "failed" };

/**
 * Not kept: the gateway's own headers, set on every response (the repeat's
 * own), and Content-Length, which the runtime sets from the body replayed
 * (the origin's may count an encoding the runtime undid).
 */
const NOT_KEPT =
  /^(x-request-id|x-ratelimit-.*|ratelimit|ratelimit-policy|x-quota-.*|idempotent-replayed|content-length)$/;

/** The response for the client, and the copy of it that settles when its body has been read. */
export function teeForKeeping(
  response: Response,
  maxBytes: number,
  deadlineMs: number,
): { response: Response; copy: Promise<Copy> } {
  const { status, statusText } = response;
  const headers = [...response.headers].filter(([name]) => !NOT_KEPT.test(name));
  const kept = (body: Uint8Array): Copy => ({ kind: "complete", answer: { status, statusText, headers, body } });
  if (response.body === null) return { response, copy: Promise.resolve(kept(new Uint8Array(0))) };
  // Teed as a JavaScript stream: the runtime's own tee of the origin's body holds the copy back while the
  // client's branch is not read (measured: the copy of an unread answer stalled until its deadline). This
  // one reads ahead for the copy, queueing for the client at most what the copy holds (the bound).
  const [toClient, toKeep] = response.body.pipeThrough(new TransformStream()).tee();
  return { response: new Response(toClient, response), copy: readCopy(toKeep, maxBytes, deadlineMs, kept) };
}

async function readCopy(
  stream: ReadableStream<Uint8Array>,
  maxBytes: number,
  deadlineMs: number,
  kept: (body: Uint8Array) => Copy,
): Promise<Copy> {
  const reader = stream.getReader();
  try {
    const body = await withDeadline(readAtMost(reader, maxBytes), deadlineMs);
    return body ? kept(body) : { kind: "not_kept", reason: "too_large" };
  } catch (error) {
    // The copy stops; the client's branch goes on as it was.
    reader.cancel().catch(() => {});
    return error === TIMED_OUT ? { kind: "not_kept", reason: "too_slow" } : { kind: "failed" };
  }
}

/** A kept answer as the response to a repeat (the data plane adds the repeat's own headers). */
export function replayOf(answer: KeptAnswer): Response {
  const { status, statusText, headers, body } = answer;
  const response = new Response(body.byteLength > 0 ? body : null, { status, statusText, headers });
  response.headers.set("idempotent-replayed", "true");
  return response;
}
