/**
 * A key's mode (CONTRACT §8), fixed when the key is created: `live` keys do
 * what they are asked; `test` keys' requests go to SANDBOX_UPSTREAM_URL when
 * it is set (proxy/index.ts), carry `X-MoMail-Mode: test`, count against the
 * rate limits like any other and never against the account's quota.
 */
export const KEY_MODES = ["live", "test"] as const;

export type KeyMode = (typeof KEY_MODES)[number];

/** A record's or a policy's mode; one cached before modes existed is `live`, as every key was then. */
export const modeOf = (key: { mode?: KeyMode }): KeyMode => key.mode ?? "live";

/** The quota units a request costs a key: what ROUTE_COSTS says, or 0 for a test key, which the quota never counts. */
export const quotaCost = (mode: KeyMode | undefined, cost: number): number => (mode === "test" ? 0 : cost);
