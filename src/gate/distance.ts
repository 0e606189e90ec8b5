/**
 * How far each account's gate is from this isolate, measured by the
 * isolate's own direct calls: the lowest of the last few round trips (the
 * distance, not the gate's queue). A location's holder saves a far gate's
 * round trip and costs a call of its own (a billed Durable Object request,
 * and another when it must ask the gate itself); so an isolate asks the
 * holder only for an account whose gate is at least `HOLDER_MIN_RTT_MS`
 * away, and the gate itself otherwise. An account not measured yet is asked
 * directly, MIN_SAMPLES times, which measures it; one found far is measured again every
 * REPROBE_MS by one direct call, in case its gate moved.
 */
import { ClockCache } from "../cache";

/** Round trips kept per account; the lowest is the distance. */
const SAMPLES = 8;
/** Direct calls before a gate may count as far (a gate's first call also starts it and reads D1). */
export const MIN_SAMPLES = 3;
/** How often a far account's gate is called directly once, to measure it again. */
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
   * gate is known to be at least `minRttMs` away (0: always) and was measured
   * within REPROBE_MS. A `false` for a far gate is the one call that measures
   * it again.
   */
  viaHolder(accountId: string, minRttMs: number, now: number): boolean {
    if (minRttMs <= 0) return true;
    const distance = this.accounts.get(accountId, now);
    if (!distance || distance.rtts.length < MIN_SAMPLES || Math.min(...distance.rtts) < minRttMs) return false;
    if (now - distance.measuredAt < REPROBE_MS) return true;
    distance.measuredAt = now;
    return false;
  }

  /** Records the round trip of a direct call about `accountId` that began at `startedAt` and answered at `now`. */
  record(accountId: string, startedAt: number, now: number): void {
    const distance = this.accounts.get(accountId, now) ?? { rtts: [], measuredAt: now };
    distance.rtts.push(Math.max(0, now - startedAt));
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
