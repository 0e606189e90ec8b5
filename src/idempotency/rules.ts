/**
 * An Idempotency-Key's life as a pure state machine, with the time passed in
 * (CONTRACT §9): no key → in flight (the first request, marked before it is
 * forwarded) → kept (its answer) or not kept (answered, too large or too slow
 * to keep) for IDEMPOTENCY_TTL_SECONDS, or back to no key (nothing kept). An
 * entry past its expiry is as good as none, whether or not a sweep has
 * removed it yet.
 *
 * A mark lives long enough that the first request can no longer be answered
 * when it ends: the origin has UPSTREAM_TIMEOUT_MS to send its headers
 * (then 504), then KEEP_BODY_MS to finish the body the gateway copies (then
 * the answer is not kept: "too slow"), and MARK_MARGIN_MS covers the calls
 * to the gate on either side. The request's own body was read in full before
 * the mark was taken. If the isolate dies before settling, the mark simply
 * expires and the next request is forwarded: the origin may have acted on
 * the first, as it may have for a 504.
 */
import type { Config } from "../config";
import { type Difference, differenceOf, type Fingerprint } from "./fingerprint";
import type { ClaimVerdict, IdempotencyClaim, KeptAnswer, NotKeptReason, SettleOutcome } from "./protocol";

/** After the origin's headers, how long the gateway waits for the rest of a body it would keep. */
export const KEEP_BODY_MS = 30_000;
/** A mark outlives the longest answer by this much: the claim's answer and the settle call, each retried once. */
export const MARK_MARGIN_MS = 10_000;

export interface IdempotencySettings {
  /** IDEMPOTENCY_TTL_SECONDS, in ms: how long an answer (or that it was not kept) stays. */
  ttlMs: number;
  /** How long an in-flight mark holds (see the module comment). */
  markMs: number;
}

export function idempotencySettings(
  config: Pick<Config, "IDEMPOTENCY_TTL_SECONDS" | "UPSTREAM_TIMEOUT_MS">,
): IdempotencySettings {
  return {
    ttlMs: config.IDEMPOTENCY_TTL_SECONDS * 1000,
    markMs: config.UPSTREAM_TIMEOUT_MS + KEEP_BODY_MS + MARK_MARGIN_MS,
  };
}

/** What the gate holds for one Idempotency-Key of the account. */
export type Entry =
  | { state: "in_flight"; fingerprint: Fingerprint; token: string; expiresAt: number }
  | { state: "kept"; fingerprint: Fingerprint; answer: KeptAnswer; expiresAt: number }
  | { state: "not_kept"; fingerprint: Fingerprint; reason: NotKeptReason; expiresAt: number };

/** The verdict on a claim: the gate's answer, plus `mine` (a retried claim that finds its own mark). */
export type Verdict = Exclude<ClaimVerdict, { kind: "first" }> | { kind: "first" } | { kind: "mine" };

export const isExpired = (entry: Entry, now: number) => entry.expiresAt <= now;

/** What `entry` (read for the claim's key) says about the claim at `now`. */
export function verdictOf(entry: Entry | undefined, claim: IdempotencyClaim, now: number): Verdict {
  if (!entry || isExpired(entry, now)) return { kind: "first" };
  const difference: Difference | undefined = differenceOf(entry.fingerprint, claim.fingerprint);
  if (difference) return { kind: "reused", difference };
  switch (entry.state) {
    case "in_flight":
      return entry.token === claim.token ? { kind: "mine" } : { kind: "in_flight" };
    case "kept":
      return { kind: "replay", answer: entry.answer };
    case "not_kept":
      return { kind: "not_kept", reason: entry.reason };
  }
}

/** The mark of a first request, written before it may be forwarded. */
export function marked(claim: IdempotencyClaim, now: number, settings: IdempotencySettings): Entry {
  return { state: "in_flight", fingerprint: claim.fingerprint, token: claim.token, expiresAt: now + settings.markMs };
}

/** The first request's outcome, as `settled` takes it. */
export interface SettledInput {
  /** The token of the mark the first request took (its claim's). */
  token: string;
  outcome: SettleOutcome;
  /** When the outcome is settled, epoch ms: the TTL runs from here. */
  now: number;
  settings: IdempotencySettings;
}

/**
 * The entry after the first request's outcome: the answer or the fact that it
 * was not kept (for the TTL, from now), or null (none: the next request is
 * forwarded). undefined when `entry` is not the live mark of `token` (it
 * expired, so a later request may have been forwarded and marked): the
 * outcome then changes nothing.
 */
export function settled(
  entry: Entry | undefined,
  { token, outcome, now, settings }: SettledInput,
): Entry | null | undefined {
  if (entry?.state !== "in_flight" || entry.token !== token || isExpired(entry, now)) return undefined;
  const { fingerprint } = entry;
  const expiresAt = now + settings.ttlMs;
  switch (outcome.kind) {
    case "keep":
      return { state: "kept", fingerprint, answer: outcome.answer, expiresAt };
    case "not_kept":
      return { state: "not_kept", fingerprint, reason: outcome.reason, expiresAt };
    case "forget":
      return null;
  }
}
