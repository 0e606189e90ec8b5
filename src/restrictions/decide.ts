/**
 * Whether a key may make a request, in the contract's order (CONTRACT §1
 * step 2, §8): its scope, then its allowed IP addresses, then its allowed
 * sender domains. The one rule, used wherever a request is decided: by the
 * account gate (gate/ledger.ts) with the key's live policy, by an isolate
 * from a lease that carries that policy (gate/leases.ts) or repeating a 429
 * (gate/authorize.ts), and in fail-open mode from the cached record. So the
 * answer is the same whichever of them decides.
 */
import { ApiError } from "../errors";
import { allows } from "../keys/scopes";
import { domainAllowed } from "./domains";
import { ipAllowed } from "./ip";

/** A key's restrictions, as policies, leases, refusals and records carry them: absent or null, any. */
export interface Restrictions {
  /** Canonical addresses and ranges (ip.ts). */
  allowedIps?: readonly string[] | null;
  /** Canonical domain names (domains.ts). */
  allowedSenderDomains?: readonly string[] | null;
}

/** What decides whether a key may make a request: its scopes and its restrictions. */
export interface KeyRules extends Restrictions {
  scopes: readonly string[];
}

/** What a request brings to the decision. */
export interface RequestFacts {
  /** The scope the route needs (keys/scopes.ts). */
  scope: string;
  /** The client address (CF-Connecting-IP); null when the edge does not say, which no range holds. */
  clientIp?: string | null;
  /** Whether the route is one of SENDING_ROUTES. */
  sending?: boolean;
  /** The sender domains read from the body (canonical); absent when not read, or not readable. */
  senders?: readonly string[];
}

/** Why a request is refused with 403: the scope, the client's address, or a sender's domain. */
export type Forbidden = "scope" | "ip" | "sender";

const MESSAGES: Record<Exclude<Forbidden, "scope">, string> = {
  ip: "This API key cannot be used from this IP address",
  sender: "This API key cannot send from this domain",
};

/**
 * The first rule that refuses the request, or undefined. `needs_senders`: the
 * key is restricted to sender domains and this is a sending request whose
 * senders were not read; nothing is decided until they are.
 */
export function refusal(rules: KeyRules, facts: RequestFacts): Forbidden | "needs_senders" | undefined {
  if (!allows(rules.scopes, facts.scope)) return "scope";
  if (rules.allowedIps && !ipAllowed(rules.allowedIps, facts.clientIp)) return "ip";
  const domains = rules.allowedSenderDomains;
  if (domains && facts.sending) {
    if (facts.senders === undefined) return "needs_senders";
    if (!facts.senders.every((sender) => domainAllowed(domains, sender))) return "sender";
  }
  return undefined;
}

/** The 403 of a refusal (`reason` absent: the scope), with the rate-limit headers every 403 carries. */
export function forbidden(reason: Forbidden | undefined, headers?: Record<string, string>): ApiError {
  return new ApiError("FORBIDDEN", reason && reason !== "scope" ? MESSAGES[reason] : undefined, headers);
}

/** A policy's restrictions as leases and refusals carry them: only those set, so an unrestricted key adds nothing. */
export function restrictionsOf(policy: Restrictions): Restrictions {
  return {
    ...(policy.allowedIps && { allowedIps: policy.allowedIps }),
    ...(policy.allowedSenderDomains && { allowedSenderDomains: policy.allowedSenderDomains }),
  };
}

/** Whether any of `rules` (a record, a lease, a refusal; any may be missing) restricts sender domains. */
export const restrictsSenders = (...rules: Array<Restrictions | undefined>) =>
  rules.some((rule) => rule?.allowedSenderDomains != null);
