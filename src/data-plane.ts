/**
 * The data plane: every `/v1/*` request, in the contract's order.
 *
 *   request id and trace → path check (400) → key check (401) → declared
 *   body size (413) → Idempotency-Key (400) → the account gate:
 *   status, scope, restrictions, limits and quota (one Durable Object
 *   round trip, or a lease: 401/403/429; a restricted key's sending body
 *   read first, 400/413; with an Idempotency-Key always a round trip, which
 *   claims it: 409/422 or a kept answer) → proxy → usage of what the origin answered
 *
 * This is the gateway's hot path, so it is a straight pipeline of plain
 * functions rather than a router with middleware layers: every `/v1/*`
 * request takes the same steps, and the warm path stays synchronous up to
 * the origin fetch (see MaybePromise in context.ts). That is a design
 * choice; `npm run bench` measures it against the same pipeline mounted as
 * Hono middleware (bench/RESULTS.md). Errors leave through the same
 * `toApiError` and `errorResponse` as the rest of the app.
 */
import { getConfig } from "./config";
import type { RequestContext } from "./context";
import { ApiError, errorResponse, toApiError } from "./errors";
import { authorize, recordOrigin } from "./gate/authorize";
import { IdempotentRequest } from "./idempotency/request";
import { checkKey } from "./keys/check";
import type { KeyRecord } from "./keys/records";
import { logError, logRequest } from "./log";
import { forward } from "./proxy";
import { assertDeclaredSize } from "./proxy/body";
import { assertSafePath } from "./proxy/path";
import { requestIds } from "./request-id";
import { RequestInspection } from "./restrictions/inspection";
import { newStats } from "./stats";
import { targetOf } from "./url";

/** Serves one `/v1/*` request (`url` is request.url, read once: each read copies it out of the runtime). */
export async function serveDataPlane(
  request: Request,
  url: string,
  env: Env,
  ctx: ExecutionContext,
): Promise<Response> {
  const started = Date.now();
  // The client's id unless it is insane or looks like a key, and the trace the origin receives.
  const { requestId, trace } = requestIds(request.headers);
  const stats = newStats();
  let key: KeyRecord | undefined;
  let limitHeaders: Record<string, string> | undefined;
  let response: Response;
  let logging = true;
  try {
    const config = getConfig(env);
    const rc: RequestContext = {
      env,
      config,
      requestId,
      trace,
      stats,
      location: request.cf?.colo as string | undefined,
      waitUntil: (promise) => ctx.waitUntil(promise),
    };
    logging = config.LOG_REQUESTS;
    const target = targetOf(request.method, url);
    // Refused before anything is looked up: a path an origin could read another way.
    assertSafePath(target.pathname);
    // The warm path answers these two synchronously: awaiting only real promises saves a tick each.
    const checked = checkKey(rc, request.headers.get("x-api-key"));
    key = checked instanceof Promise ? await checked : checked;
    // Before anything is counted: a declared length needs no byte read to refuse.
    assertDeclaredSize(request, config.MAX_BODY_BYTES);
    // What the key's restrictions are decided on: the client's address, and a sending body's senders if needed.
    const inspection = new RequestInspection(request, target, config);
    // A POST or PATCH with an Idempotency-Key (400 if malformed) claims it in its gate call (CONTRACT §9).
    const idempotent = IdempotentRequest.of(rc, request, target, inspection);
    const authorized = idempotent
      ? idempotent.authorize(key)
      : authorize(rc, { record: key, method: target.method, resource: target.resource, inspection });
    limitHeaders = authorized instanceof Promise ? await authorized : authorized;
    try {
      // A body already read (for its senders, or an idempotent request's hash) is forwarded and signed as read.
      response = await (idempotent
        ? idempotent.respond(key)
        : forward(rc, { request, target, key, body: inspection.body }));
    } catch (error) {
      if (error instanceof ApiError && (error.status === 502 || error.status === 504)) recordOrigin(key, "failed");
      throw error;
    }
    if (!idempotent?.replayed) recordOrigin(key, response.status);
    for (const name in limitHeaders) response.headers.set(name, limitHeaders[name] as string);
    response.headers.set("x-request-id", requestId);
  } catch (error) {
    const apiError = toApiError(error, env);
    if (apiError.status >= 500) logError(requestId, error);
    response = errorResponse(apiError, requestId, limitHeaders);
  }
  if (logging) {
    logRequest({
      requestId,
      traceId: trace.traceId,
      method: request.method,
      url,
      status: response.status,
      started,
      accountId: key?.accountId,
      keyId: key?.id,
      stats,
    });
  }
  return response;
}
