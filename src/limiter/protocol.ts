/**
 * The messages between an isolate and a key's Durable Object: one `check`
 * per request (or per lease), answered with the key's live status and the
 * rate-limit decision together.
 */

export interface CheckRequest {
  keyId: string;
  /** The scope this request needs (see keys/scopes.ts). */
  scope: string;
  /** Extra tokens the isolate would like to hold as a lease (0: none). */
  want: number;
  /** false: only fetch a lease, admit no request (a refresh ahead of time). Default true. */
  admit?: boolean;
  /** Unused tokens of expired or replaced leases, given back. */
  release?: Array<{ bucket: number; count: number }>;
}

/** The numbers behind the rate-limit headers. */
export interface Quota {
  limit: number;
  windowSeconds: number;
  remaining: number;
  /** Epoch ms at which the oldest admission leaves the window. */
  resetAt: number;
}

/** Tokens already counted by the object, which the isolate may spend until `expiresAt`. */
export interface Lease {
  tokens: number;
  bucket: number;
  expiresAt: number;
  scopes: string[];
}

export type CheckResult =
  | { outcome: "unauthorized" }
  | { outcome: "forbidden"; quota?: Quota }
  | { outcome: "limited"; quota: Quota }
  | { outcome: "ok"; quota: Quota; lease?: Lease };
