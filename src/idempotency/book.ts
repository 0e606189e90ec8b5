/**
 * The account gate's side of idempotent requests (CONTRACT §9): a plain
 * class over the gate's storage rows (gate/rows.ts) with the time passed in,
 * which the Durable Object (gate/object.ts) calls. One account's gate is the
 * one place every request with one of its Idempotency-Keys reaches, whatever
 * isolate or location it came through, and it answers one call at a time, so
 * "exactly one of these concurrent requests is forwarded" needs nothing more.
 *
 * - `claim` decides the request with the ledger and reads the key's entry in
 *   one atomic step. A first request is decided as usual (401, 403, 429,
 *   quota) and, when admitted, marked in flight: the row is written before
 *   the call answers (the synchronous KV API of a SQLite-backed object is
 *   durable when the answer leaves), so a restarted or evicted gate still
 *   holds it. A repeat is decided against the rate limits only (cost 0, no
 *   lease of its own): admitted, it is answered with the kept answer;
 *   refused (401, 403, 429), it gets that refusal. A conflict (in flight,
 *   not kept, reused) is answered only after the same 401, 403 and 429
 *   checks, and is counted against nothing.
 * - `settle` records the first request's outcome, if its mark still holds.
 * - `sweep` removes expired entries, a bounded batch per alarm (entries are
 *   also ignored once expired, swept or not); passes start at most once an
 *   hour, and only when some entry has expired or may have.
 */
import type { Ledger } from "../gate/ledger";
import type { GateStore } from "../gate/rows";
import type { ClaimRequest, ClaimResult, SettleRequest } from "./protocol";
import { type Entry, type IdempotencySettings, isExpired, marked, settled, verdictOf } from "./rules";

export type IdempotencyRows = Pick<
  GateStore,
  "readIdempotency" | "writeIdempotency" | "deleteIdempotency" | "listIdempotency"
>;

/** The sweep's pace. */
export const SWEEP = {
  /** Entries one alarm reads at most (each holds an answer of up to IDEMPOTENCY_MAX_BYTES). */
  rows: 200,
  /** A step that read a full batch goes on this long after. */
  stepMs: 1_000,
  /** Passes start at most this often: an expired entry lingers at most this long (it is ignored meanwhile). */
  everyMs: 3_600_000,
} as const;

/** What one sweep step did, for the gate's log line: rows read and deleted, and whether the pass is over. */
export type SweepReport = { read: number; deleted: number; done: boolean };

export class IdempotencyBook {
  /** Storage rows read and written by claims and settles since `takeCounts`. */
  private reads = 0;
  private writes = 0;
  /** The key the pass in progress resumes after; undefined between passes. */
  private cursor: string | undefined;
  private passing = false;
  private passStartedAt = Number.NEGATIVE_INFINITY;
  /** The earliest expiry among the entries the pass in progress kept. */
  private passEarliest = Number.POSITIVE_INFINITY;
  /** When the next pass is due; undefined: none known to be needed. */
  private dueAt: number | undefined;
  /** A new instance does not know what the previous one scheduled: its first alarm sweeps. */
  private unknown = true;

  constructor(
    private readonly rows: IdempotencyRows,
    private readonly settings: IdempotencySettings,
  ) {}

  /** Decides a request and claims its Idempotency-Key, as one step. */
  claim(ledger: Ledger, request: ClaimRequest, now: number): ClaimResult {
    const { idempotency } = request;
    const verdict = verdictOf(this.read(idempotency.key), idempotency, now);
    if (verdict.kind === "first") {
      const result = ledger.check(request, now);
      if (result.outcome !== "ok") return result;
      this.write(idempotency.key, marked(idempotency, now, this.settings));
      return { ...result, idempotency: { kind: "first", token: idempotency.token } };
    }
    // A repeat counts against the rate limits, never the quota, and asks no lease for its key.
    const repeat = { ...request, cost: 0, want: 0 };
    if (verdict.kind === "replay") {
      const result = ledger.check(repeat, now);
      return result.outcome === "ok" ? { ...result, idempotency: verdict } : result;
    }
    // A retried claim that finds its own mark was decided and counted by its first try.
    if (verdict.kind === "mine") {
      return {
        ...ledger.check({ ...repeat, admit: false }, now),
        idempotency: { kind: "first", token: idempotency.token },
      };
    }
    // A conflict counts against nothing, once the request passed what any request must (401, 403, 429).
    if (ledger.peek(repeat, now).outcome !== "ok") return ledger.check(repeat, now);
    return { ...ledger.check({ ...repeat, admit: false }, now), idempotency: verdict };
  }

  /** Records the first request's outcome; false when its mark no longer holds (expired: the outcome changes nothing). */
  settle(request: SettleRequest, now: number): boolean {
    const next = settled(this.read(request.key), {
      token: request.token,
      outcome: request.outcome,
      now,
      settings: this.settings,
    });
    if (next === undefined) return false;
    if (next === null) {
      this.rows.deleteIdempotency(request.key);
      this.writes++;
    } else {
      this.write(request.key, next);
    }
    return true;
  }

  /** When the gate's alarm should next run for the sweep (undefined: no need known). */
  nextSweep(now: number): number | undefined {
    return this.passing ? now + SWEEP.stepMs : this.dueAt;
  }

  /** One bounded step of a sweep pass, if one is due (undefined: none was). */
  sweep(now: number): SweepReport | undefined {
    if (!this.passing) {
      if (!this.unknown && (this.dueAt === undefined || this.dueAt > now)) return undefined;
      this.passing = true;
      this.unknown = false;
      this.passStartedAt = now;
      this.dueAt = undefined;
    }
    let read = 0;
    let deleted = 0;
    for (const [key, entry] of this.rows.listIdempotency(this.cursor, SWEEP.rows)) {
      read++;
      this.cursor = key;
      if (isExpired(entry, now)) {
        this.rows.deleteIdempotency(key);
        deleted++;
      } else {
        this.passEarliest = Math.min(this.passEarliest, entry.expiresAt);
      }
    }
    const done = read < SWEEP.rows;
    if (done) {
      this.passing = false;
      this.cursor = undefined;
      this.due(this.passEarliest);
      this.passEarliest = Number.POSITIVE_INFINITY;
    }
    return { read, deleted, done };
  }

  /** Rows read and written by claims and settles since the last call. */
  takeCounts(): { reads: number; writes: number } {
    const counts = { reads: this.reads, writes: this.writes };
    this.reads = 0;
    this.writes = 0;
    return counts;
  }

  private read(key: string): Entry | undefined {
    this.reads++;
    return this.rows.readIdempotency(key);
  }

  private write(key: string, entry: Entry): void {
    this.rows.writeIdempotency(key, entry);
    this.writes++;
    this.due(entry.expiresAt);
  }

  /** A pass is needed once `expiresAt` has passed, but none starts within SWEEP.everyMs of the last. */
  private due(expiresAt: number): void {
    if (expiresAt === Number.POSITIVE_INFINITY) return;
    const at = Math.max(expiresAt, this.passStartedAt + SWEEP.everyMs);
    this.dueAt = Math.min(this.dueAt ?? at, at);
  }
}
