/**
 * An idempotent request's claim, as the data plane's gate call carries it
 * (gate/authorize.ts): the Idempotency-Key rides on the request's one round
 * trip to its account's gate (the `claim` call instead of `check`), and the
 * gate's verdict on the key comes back beside its decision.
 */
import type { GateClient } from "../gate/client";
import type { CheckRequest, CheckResult } from "../gate/protocol";
import type { ClaimVerdict, IdempotencyClaim } from "./protocol";

/** An Idempotency-Key to claim in the request's gate call; `verdict` is set when the gate admits the request. */
export interface Claim {
  idempotency: IdempotencyClaim;
  verdict?: ClaimVerdict;
}

/** Sends `request` as a claim; the gate's verdict on the key lands in `claim.verdict`. */
export async function claimAt(client: GateClient, request: CheckRequest, claim: Claim): Promise<CheckResult> {
  const { idempotency, ...result } = await client.claim({ ...request, idempotency: claim.idempotency });
  claim.verdict = idempotency;
  return result as CheckResult;
}
