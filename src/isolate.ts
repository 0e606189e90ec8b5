/**
 * Everything one isolate keeps between requests, in one object: the key
 * records it has looked up (with the secrets it has verified), what it holds
 * of the account gates (leases, demand, what it owes them, 429s it may
 * repeat), and the keys the gate has refused. Each part is bounded whatever
 * the traffic. Nothing here is ever trusted to let a key through that the
 * gate would refuse: it only saves round trips and lookups.
 */
import { ClockCache } from "./cache";
import { LeaseCaller } from "./gate/caller";
import { GateDistances } from "./gate/distance";
import { LeaseBook } from "./gate/leases";
import type { CacheEntry, KeyRecord } from "./keys/records";

/** How many key records an isolate keeps. */
export const ISOLATE_MAX_ENTRIES = 10_000;

export class IsolateState {
  /** Key records by prefix (null: D1 has none), with the secret once verified. */
  readonly records = new ClockCache<CacheEntry>(ISOLATE_MAX_ENTRIES);
  /** Leases and debts toward each account's gate. */
  readonly leases = new LeaseBook();
  /** How this isolate decides from its leases or asks upstream (gate/caller.ts). */
  readonly caller = new LeaseCaller(this.leases);
  /** How far each account's gate is, from this isolate's direct calls: whether to ask the location's holder. */
  readonly distances = new GateDistances();
  /**
   * Records the gate refused with 401 (revoked, expired, account disabled):
   * refused again without asking until the record is read again (a new
   * object, at most ISOLATE_TTL_MS later).
   */
  readonly refused = new WeakSet<KeyRecord>();
}

export const isolate = new IsolateState();
