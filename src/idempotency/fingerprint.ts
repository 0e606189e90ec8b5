/**
 * What makes two requests with one Idempotency-Key "the same request"
 * (CONTRACT §9): the method, the path and query exactly as the client sent
 * them (byte for byte, as forwarded: `/v1/emails` and `/v1/Emails` differ,
 * as they may at the origin), and the SHA-256 of the body. The body is
 * always read in full for it before the gate is asked (proxy/body.ts).
 */
import type { Target } from "../url";

export interface Fingerprint {
  method: string;
  path: string;
  /** Lowercase hex SHA-256 of the request body. */
  bodySha256: string;
}

/** The part of a request that differs from the one an Idempotency-Key was first used with. */
export type Difference = "method" | "path" | "body";

export function fingerprintOf(target: Pick<Target, "method" | "pathAndQuery">, bodySha256: string): Fingerprint {
  return { method: target.method, path: target.pathAndQuery, bodySha256 };
}

/** The first part in which `request` differs from `first`, or undefined when it is the same request. */
export function differenceOf(first: Fingerprint, request: Fingerprint): Difference | undefined {
  if (first.method !== request.method) return "method";
  if (first.path !== request.path) return "path";
  if (first.bodySha256 !== request.bodySha256) return "body";
  return undefined;
}
