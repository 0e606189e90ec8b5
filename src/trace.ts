/**
 * W3C Trace Context, level 1 (CONTRACT §2): the `traceparent` the origin
 * receives, `00-{trace-id}-{parent-id}-{flags}`, carries the caller's
 * trace-id and a parent-id of the gateway's own (its span), so an operator
 * can follow one request from the client's trace through the gateway's log
 * line (`traceId`) to the origin. A missing or malformed `traceparent` (not
 * lowercase hex, wrong lengths, an all-zero id, version `ff`, version `00`
 * with anything after its flags, a later version whose flags are not followed
 * by a `-` or the end) starts a new trace: a random trace-id, and the sampled
 * flag set, since the gateway records every request (its log line). A later
 * version is read by the spec's rules and passed on as version `00`. Only
 * the sampled flag is kept; the flags level 1 does not define are sent as
 * zero. The caller's `tracestate` travels unchanged beside a valid
 * `traceparent`, and is dropped with an invalid one, as the spec requires.
 *
 * Neither header is covered by the origin signature (CONTRACT §2 lists the
 * signed fields): they are the caller's observability data, not identity, so
 * an origin must make no security decision on them.
 */

/** The trace of one request, as the origin receives it. */
export interface Trace {
  /** 32 lowercase hex: the caller's trace-id, or a new one. */
  traceId: string;
  /** The `traceparent` the origin receives: the trace-id, the gateway's own span id, the sampled flag. */
  traceparent: string;
  /** Whether the caller's `tracestate` goes on (only beside a valid `traceparent`). */
  keepsState: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = "0".repeat(32);
const ZERO_PARENT_ID = "0".repeat(16);
/** The last hex digit of the flags, when the sampled bit (0x01) is set. */
const SAMPLED = new Set("13579bdf");

/** The caller's trace-id and sampled flag, or null when `traceparent` is missing or malformed. */
export function parseTraceparent(traceparent: string | null | undefined): { traceId: string; sampled: boolean } | null {
  if (!traceparent || traceparent.length < 55) return null;
  const match = TRACEPARENT.exec(traceparent);
  if (!match) return null;
  const [, version, traceId = "", parentId, flags = "", rest] = match;
  // Version ff is forbidden; version 00 is exactly 55 characters; a later one may add fields after a `-`.
  if (version === "ff" || (version === "00" && rest !== undefined)) return null;
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_PARENT_ID) return null;
  return { traceId, sampled: SAMPLED.has(flags.charAt(1)) };
}

/** 32 hex of a random UUID (its 122 random bits and its fixed version and variant digits). */
const hexOf = (uuid: string) =>
  uuid.slice(0, 8) + uuid.slice(9, 13) + uuid.slice(14, 18) + uuid.slice(19, 23) + uuid.slice(24);

/** A new random trace-id (32 hex). */
export const newTraceId = () => hexOf(crypto.randomUUID());

/**
 * The trace to send on, from the caller's `traceparent` and `random`, a
 * random UUID of this request: its last 16 hex digits are the gateway's span
 * id (never all zero: the variant digit is 8-b), and for a new trace all of
 * it is the trace-id (so one random UUID per request makes every new id).
 */
export function traceFrom(traceparent: string | null | undefined, random: string): Trace {
  const spanId = random.slice(19, 23) + random.slice(24);
  const caller = parseTraceparent(traceparent);
  if (caller) {
    const flags = caller.sampled ? "01" : "00";
    return { traceId: caller.traceId, traceparent: `00-${caller.traceId}-${spanId}-${flags}`, keepsState: true };
  }
  const traceId = hexOf(random);
  return { traceId, traceparent: `00-${traceId}-${spanId}-01`, keepsState: false };
}
