/**
 * The isolate's leases: for a hot key, a few tokens the key's Durable Object
 * has already counted, spendable here until the lease expires, so most
 * requests need no round trip. Demand is measured per key in slots of
 * SLOT_MS; a key is hot once a whole past slot saw it busy, so a quiet key,
 * or a fresh burst, never gets a lease and is answered exactly.
 *
 * Only plain data lives here: Workers forbid awaiting one request's I/O from
 * another, so a lease refresh (see client.ts) writes its result into this
 * state when it lands, and other requests simply read it.
 */
import { LruCache } from "../keys/lru";
import { allows } from "../keys/scopes";
import type { CheckRequest, CheckResult, Lease, Quota } from "./protocol";

/** Demand is counted over slots this long. */
export const SLOT_MS = 100;
const HALF_LIFE_SLOTS = 10;
const MAX_KEYS = 10_000;
const STATE_TTL_MS = 600_000;

export interface HeldLease extends Lease {
  quota: Quota;
  granted: number;
}

/** What this isolate knows of one key's leases and recent demand. */
export interface KeyState {
  /**
   * Live leases, oldest first. Concurrent calls can each bring one; all are
   * kept and spent oldest first, since their tokens were counted already.
   */
  leases: HeldLease[];
  /** A refresh-ahead call is in flight (a flag, never a promise: see above). */
  refreshing: boolean;
  /** Unused tokens of expired leases, to give back on the next call. */
  unused: Array<{ bucket: number; count: number }>;
  slot: number;
  current: number;
  previous: number;
  /** Recent peak demand per slot, halving every HALF_LIFE_SLOTS of quiet: a key hot a moment ago ramps up at once. */
  recent: number;
}

const keys = new LruCache<KeyState>(MAX_KEYS);

/** This isolate's state for a key, created on first use. */
export function stateOf(keyId: string, now: number): KeyState {
  let state = keys.get(keyId, now);
  if (!state) {
    state = { leases: [], refreshing: false, unused: [], slot: 0, current: 0, previous: 0, recent: 0 };
    keys.set(keyId, state, STATE_TTL_MS, now);
  }
  return state;
}

/**
 * Counts a request; returns the tokens worth leasing: the demand of the last
 * full slot (or the recent peak, decaying) over a lease. A key never busy
 * before gets 0: a fresh burst is answered exactly.
 */
export function leaseWant(state: KeyState, now: number, leaseMs: number): number {
  const slot = Math.floor(now / SLOT_MS);
  if (state.slot !== slot) {
    const elapsed = slot - state.slot;
    state.recent = Math.max(state.current, state.recent * 0.5 ** (elapsed / HALF_LIFE_SLOTS));
    state.previous = elapsed === 1 ? state.current : 0;
    state.slot = slot;
    state.current = 0;
  }
  state.current++;
  return Math.floor((Math.max(state.previous, state.recent) * leaseMs) / SLOT_MS);
}

/** Moves expired leases' unused tokens to the owed list. */
function prune(state: KeyState, now: number): void {
  while (state.leases.length > 0 && (state.leases[0] as HeldLease).expiresAt <= now) {
    const expired = state.leases.shift() as HeldLease;
    if (expired.tokens > 0) state.unused.push({ bucket: expired.bucket, count: expired.tokens });
  }
}

export type LeaseDecision = { outcome: "ok"; quota: Quota } | { outcome: "forbidden"; quota: Quota };

/** Spends a token of a live lease, if any; null means the object must be asked. */
export function fromLease(state: KeyState, scope: string, now: number): LeaseDecision | null {
  prune(state, now);
  const newest = state.leases[state.leases.length - 1];
  if (!newest) return null;
  if (!allows(newest.scopes, scope)) return { outcome: "forbidden", quota: newest.quota };
  const lease = state.leases.find((l) => l.tokens > 0);
  if (!lease) return null;
  lease.tokens--;
  return { outcome: "ok", quota: { ...lease.quota, remaining: lease.quota.remaining + lease.tokens } };
}

/** Whether to fetch the next lease ahead: half of the last one is spent, or half its time is gone. */
export function shouldRefresh(state: KeyState, now: number, leaseMs: number): boolean {
  const newest = state.leases[state.leases.length - 1];
  if (!newest || state.refreshing) return false;
  return newest.tokens * 2 <= newest.granted || newest.expiresAt - now <= leaseMs / 2;
}

/** Hands over the unused tokens of expired leases, for the next call to give back. */
export function takeUnused(state: KeyState, now: number): CheckRequest["release"] {
  prune(state, now);
  const release = state.unused;
  state.unused = [];
  return release.length > 0 ? release : undefined;
}

/** Takes in an object's answer: a new lease joins the others; a refusal voids them all. */
export function install(state: KeyState, result: CheckResult): void {
  if (result.outcome === "unauthorized") state.leases = [];
  if (result.outcome === "ok" && result.lease) {
    state.leases.push({ ...result.lease, quota: result.quota, granted: result.lease.tokens });
  }
}
