/**
 * Request ids (CONTRACT §1, §3) and the trace of a data-plane request. A
 * client's `X-Request-Id` is kept when it is a sane token (`[A-Za-z0-9_=-]`,
 * at most 128 characters, the rule of `hono/request-id`) and looks like no
 * API key: an id holding `mk_{prefix}_…` in any case, a key pasted into the
 * wrong header, is replaced by a new one, so it is never logged, forwarded to
 * the origin or echoed back. The data plane and the Hono app (admin,
 * dashboard, secret scanning) use the same rule.
 */
import type { MiddlewareHandler } from "hono";
import { requestId as honoRequestId } from "hono/request-id";
import { looksLikeKey } from "./keys/format";
import { type Trace, traceFrom } from "./trace";

const MAX_LENGTH = 128;
const SANE = /^[\w=-]{1,128}$/;

/** Whether the gateway keeps a client's `X-Request-Id` as the request's id. */
export function acceptsRequestId(id: string | null | undefined): id is string {
  return id != null && id.length <= MAX_LENGTH && SANE.test(id) && !looksLikeKey(id);
}

/**
 * A data-plane request's id and trace. One random UUID is drawn per request
 * and makes every new id: the request id when the client's is not kept, the
 * gateway's span id, and the trace-id of a new trace (trace.ts).
 */
export function requestIds(headers: Headers): { requestId: string; trace: Trace } {
  const random = crypto.randomUUID();
  const id = headers.get("x-request-id");
  return { requestId: acceptsRequestId(id) ? id : random, trace: traceFrom(headers.get("traceparent"), random) };
}

/** `hono/request-id` with the rule above: an id that looks like a key is replaced as an insane one is. */
export function requestId(): MiddlewareHandler {
  const keep = honoRequestId({ limitLength: MAX_LENGTH });
  // A limit of 0 makes Hono's middleware take a new id, whatever the client sent.
  const replace = honoRequestId({ limitLength: 0 });
  return async function requestId(c, next) {
    const id = c.req.header("x-request-id");
    return (id !== undefined && looksLikeKey(id) ? replace : keep)(c, next);
  };
}
