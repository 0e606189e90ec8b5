/**
 * The messages of an idempotent request between an isolate and its
 * account's gate (CONTRACT §9), beside the gate's own (gate/protocol.ts):
 *
 * - `claim`: the request's decision (a `check`) and its Idempotency-Key's
 *   verdict in one call and one atomic step at the gate: the first request
 *   is marked in flight (in storage, before the call answers) and counted as
 *   usual; a repeat gets the kept answer (counted against the rate limits,
 *   not the quota) or a conflict (counted against nothing).
 * - `settle`: after the first request's answer, what to keep of it: the
 *   answer, the fact that it was answered but not kept, or nothing.
 */
import type { CheckRequest, CheckResult } from "../gate/protocol";
import type { Difference, Fingerprint } from "./fingerprint";

/** An origin's answer as kept: replayed byte for byte. */
export interface KeptAnswer {
  status: number;
  statusText: string;
  /** The origin's headers as the client got them (hop-by-hop ones removed), in order. */
  headers: Array<[string, string]>;
  body: Uint8Array;
}

/** Why an answer the origin gave was not kept: a repeat is refused (409), never forwarded. */
export type NotKeptReason = "too_large" | "too_slow";

/** The Idempotency-Key a request claims, and what identifies its attempt. */
export interface IdempotencyClaim {
  key: string;
  fingerprint: Fingerprint;
  /** Random per attempt (made by the isolate): a retried claim finds its own mark; only its holder settles it. */
  token: string;
}

export interface ClaimRequest extends CheckRequest {
  idempotency: IdempotencyClaim;
}

/** What the Idempotency-Key says about an admitted request. */
export type ClaimVerdict =
  /** Forward it: it is marked in flight under `token`. */
  | { kind: "first"; token: string }
  /** Answer with this, never reaching the origin. */
  | { kind: "replay"; answer: KeptAnswer }
  /** 409: the first request with this key has not been answered yet. */
  | { kind: "in_flight" }
  /** 409: the first request was answered, but its answer could not be kept. */
  | { kind: "not_kept"; reason: NotKeptReason }
  /** 422: the key was used with another method, path or body. */
  | { kind: "reused"; difference: Difference };

/** The gate's decision, with the key's verdict when the decision admits the request (refusals carry none). */
export type ClaimResult = CheckResult & { idempotency?: ClaimVerdict };

/** What the first request's answer leaves behind. */
export type SettleOutcome =
  | { kind: "keep"; answer: KeptAnswer }
  | { kind: "not_kept"; reason: NotKeptReason }
  /** Nothing kept: origin 5xx, gateway 502/504, the client gone before the answer. The next request is forwarded. */
  | { kind: "forget" };

export interface SettleRequest {
  accountId: string;
  key: string;
  token: string;
  outcome: SettleOutcome;
}
