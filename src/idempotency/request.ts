/**
 * The data plane's step for a request with an Idempotency-Key (CONTRACT §9),
 * in two calls from data-plane.ts: `authorize` in place of the gate's usual
 * decision, `respond` in place of the plain forward.
 *
 * - authorize: the body is read in full and hashed (whatever its length, up
 *   to MAX_BODY_BYTES: the fingerprint is needed before anything is
 *   forwarded, so a large body is buffered and signed with its digest rather
 *   than streamed), then one gate call decides the request and claims the
 *   key. 409 (in flight, with Retry-After: 1; or answered but not kept) and
 *   422 (another method, path or body) are thrown with the rate-limit headers.
 * - respond: a replay is the kept answer. A first request is forwarded, and
 *   its answer streamed back while a copy is taken (copy.ts); the outcome is
 *   settled at the gate after the response, in `waitUntil`: kept; not kept
 *   (too large, too slow: a repeat gets 409); or forgotten (origin 5xx,
 *   gateway 502/504, a failed body, the client gone before the origin's
 *   headers: the next request is forwarded). Meanwhile a repeat sees "in
 *   flight". A settle that never arrives (the isolate died) leaves the mark
 *   to expire (rules.ts).
 */
import type { RequestContext } from "../context";
import { ApiError } from "../errors";
import { authorize } from "../gate/authorize";
import { GateClient } from "../gate/client";
import { modeOf } from "../keys/mode";
import type { KeyRecord } from "../keys/records";
import { logBackground, logWarning } from "../log";
import { forward } from "../proxy";
import { type PreparedBody, prepareBody } from "../proxy/body";
import type { RequestInspection } from "../restrictions/inspection";
import { newStats } from "../stats";
import type { Target } from "../url";
import type { Claim } from "./claim";
import { type Copy, replayOf, teeForKeeping } from "./copy";
import { fingerprintOf } from "./fingerprint";
import { idempotencyKeyOf } from "./key";
import type { ClaimVerdict, SettleOutcome } from "./protocol";
import { KEEP_BODY_MS } from "./rules";

type LimitHeaders = Record<string, string> | undefined;

const IN_FLIGHT = "A request with this Idempotency-Key is still in progress; retry after it completes";
const NOT_KEPT = {
  too_large: "was too large to keep",
  too_slow: "took too long to keep",
} as const;
const REUSED = { method: "method", path: "path", body: "request body" } as const;

/** The 409 or 422 a conflicting verdict is answered with, or undefined for a request to answer. */
function conflictOf(verdict: ClaimVerdict, headers: LimitHeaders): ApiError | undefined {
  switch (verdict.kind) {
    case "in_flight":
      return new ApiError("CONFLICT", IN_FLIGHT, { ...headers, "Retry-After": "1" });
    case "not_kept":
      return new ApiError(
        "CONFLICT",
        `The request with this Idempotency-Key was answered, but its answer ${NOT_KEPT[verdict.reason]}; it is not sent again (a new request needs a new Idempotency-Key)`,
        headers,
      );
    case "reused":
      return new ApiError(
        "IDEMPOTENCY_KEY_REUSED",
        `This Idempotency-Key was already used with a different ${REUSED[verdict.difference]}`,
        headers,
      );
    default:
      return undefined;
  }
}

/** What the copy of an answer leaves at the gate. */
function outcomeOf(copy: Copy): SettleOutcome {
  if (copy.kind === "complete") return { kind: "keep", answer: copy.answer };
  return copy.kind === "not_kept" ? copy : { kind: "forget" };
}

export class IdempotentRequest {
  private body: PreparedBody | undefined;
  private claim: Claim | undefined;
  private accountId = "";
  private settled = false;
  /** The response is a kept answer: the origin was not called. */
  replayed = false;

  private constructor(
    private readonly rc: RequestContext,
    private readonly request: Request,
    private readonly target: Target,
    private readonly key: string,
    private readonly inspection: RequestInspection,
  ) {}

  /** The request's idempotent handling, or undefined when it carries no Idempotency-Key (a 400 for a malformed one). */
  static of(
    rc: RequestContext,
    request: Request,
    target: Target,
    inspection: RequestInspection,
  ): IdempotentRequest | undefined {
    const key = idempotencyKeyOf(target.method, request.headers);
    return key === undefined ? undefined : new IdempotentRequest(rc, request, target, key, inspection);
  }

  /** Decides the request and claims its key in one gate call; returns the rate-limit headers. */
  async authorize(record: KeyRecord): Promise<LimitHeaders> {
    const { rc, target, inspection } = this;
    this.body = await prepareBody(this.request, rc.config.MAX_BODY_BYTES, { buffered: true });
    // The body is read once: the sender check (a restricted key's sending request) reads these bytes.
    if (this.body.body instanceof Uint8Array) inspection.given(this.body.body);
    const fingerprint = fingerprintOf(target, this.body.contentSha256);
    // A test key's answers are kept apart from a live key's: one never replays the other's (keys/mode.ts).
    const key = modeOf(record) === "test" ? `test:${this.key}` : this.key;
    const claim: Claim = { idempotency: { key, fingerprint, token: crypto.randomUUID() } };
    this.claim = claim;
    this.accountId = record.accountId;
    const headers = await authorize(rc, {
      record,
      method: target.method,
      resource: target.resource,
      inspection,
      claim,
    });
    // An admitted claim always carries a verdict (fail-open does not apply to it).
    const verdict = claim.verdict as ClaimVerdict;
    rc.stats.idempotency = verdict.kind;
    const conflict = conflictOf(verdict, headers);
    if (conflict) throw conflict;
    return headers;
  }

  /** The kept answer, or the origin's (its copy settled at the gate after the response). */
  async respond(record: KeyRecord): Promise<Response> {
    const verdict = this.claim?.verdict;
    if (verdict?.kind === "replay") {
      this.replayed = true;
      return replayOf(verdict.answer);
    }
    const { rc, request } = this;
    let answered = false;
    // A client gone before the origin's headers: the exchange is over, nothing kept.
    request.signal.addEventListener("abort", () => answered || this.settle({ kind: "forget" }), { once: true });
    let response: Response;
    try {
      response = await forward(rc, { request, target: this.target, key: record, body: this.body });
    } catch (error) {
      this.settle({ kind: "forget" });
      throw error;
    }
    answered = true;
    if (response.status >= 500) {
      this.settle({ kind: "forget" });
      return response;
    }
    const teed = teeForKeeping(response, rc.config.IDEMPOTENCY_MAX_BYTES, KEEP_BODY_MS);
    rc.waitUntil(teed.copy.then((copy) => this.settle(outcomeOf(copy))));
    return teed.response;
  }

  /** Tells the gate the outcome, once, in the background (a lost settle leaves the mark to expire). */
  private settle(outcome: SettleOutcome): void {
    if (this.settled || !this.claim) return;
    this.settled = true;
    const { rc } = this;
    const { key, token } = this.claim.idempotency;
    const stats = newStats();
    rc.waitUntil(
      new GateClient(rc.env.RATE_LIMITER, { stats })
        .settle({ accountId: this.accountId, key, token, outcome })
        .catch((error: unknown) => logWarning("idempotent answer not settled", { error: String(error) }, rc.requestId))
        .finally(() => logBackground(rc.requestId, "idempotency", stats)),
    );
  }
}
