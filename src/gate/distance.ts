/**
 * How far each account's gate is from this isolate, measured by the
 * isolate's own direct calls: the lowest of the last few round trips, each
 * less the time the gate says it spent (its start, a policy read from D1):
 * the distance, not the gate's work or queue. A location's holder saves a
 * far gate's round trip and costs a call of its own (a billed Durable Object
 * request, and another when it must ask the gate itself); so an isolate asks
 * the holder only for an account whose gate is at least `HOLDER_MIN_RTT_MS`
 * away, and the gate itself otherwise. An account not measured yet is asked
 * directly once, which measures it. A far gate is measured again by a ping
 * off any request's path: SETTLE_MS after its last round trip while it has
 * fewer than MIN_SAMPLES (a stall on the first call must not send a near
 * gate's account to the holder for long), then every REPROBE_MS, in case
 * its gate moved.
 */
import { ClockCache } from "../cache";

/** Round trips kept per account; the lowest is the distance. */
const SAMPLES = 8;
/** Round trips after which a far gate is settled as far (measured again only every REPROBE_MS). */
export const MIN_SAMPLES = 3;
/** How soon a gate found far on fewer than MIN_SAMPLES round trips is measured again. */
export const SETTLE_MS = 30_000;
/** How often a far account's gate is pinged, to measure it again. */
export const REPROBE_MS = 5 * 60_000;
/** Accounts an isolate keeps distances of (least recently used go first). */
const MAX_ACCOUNTS = 10_000;
/** How long a distance is kept without a new sample. */
const KEEP_MS = 60 * 60_000;

interface Distance {
  /** The last SAMPLES round trips, ms. */
  rtts: number[];
  /** When the gate was last called directly. */
  measuredAt: number;
}

export class GateDistances {
  private readonly accounts = new ClockCache<Distance>(MAX_ACCOUNTS);

  /**
   * Whether a call about `accountId` should go to the location's holder: its
   * gate is known to be at least `minRttMs` away (0: always). An account not
   * measured yet is asked directly, which measures it.
   */
  viaHolder(accountId: string, minRttMs: number, now: number): boolean {
    if (minRttMs <= 0) return true;
    const distance = this.accounts.get(accountId, now);
    return distance !== undefined && Math.min(...distance.rtts) >= minRttMs;
  }

  /**
   * Whether a far account's gate is due to be measured again (SETTLE_MS after
   * its last round trip while it has fewer than MIN_SAMPLES, else
   * REPROBE_MS): the caller then pings it off the request's path. Marks it
   * measured, so one call measures.
   */
  remeasure(accountId: string, now: number): boolean {
    const distance = this.accounts.get(accountId, now);
    if (!distance) return false;
    const every = distance.rtts.length < MIN_SAMPLES ? SETTLE_MS : REPROBE_MS;
    if (now - distance.measuredAt < every) return false;
    distance.measuredAt = now;
    return true;
  }

  /**
   * Records the round trip of a direct call about `accountId` that began at
   * `startedAt` and answered at `now`, of which the gate spent `gateMs`.
   */
  record(accountId: string, startedAt: number, now: number, gateMs = 0): void {
    const distance = this.accounts.get(accountId, now) ?? { rtts: [], measuredAt: now };
    distance.rtts.push(Math.max(0, now - startedAt - gateMs));
    if (distance.rtts.length > SAMPLES) distance.rtts.shift();
    distance.measuredAt = now;
    this.accounts.set(accountId, distance, KEEP_MS, now);
  }

  /** The account's gate distance in ms (the lowest round trip kept), if measured. */
  of(accountId: string, now: number): number | undefined {
    const distance = this.accounts.get(accountId, now);
    return distance ? Math.min(...distance.rtts) : undefined;
  }
}
