/**
 * An exact sliding-window counter. Admissions are kept in time buckets of
 * 1/1000 of the window, each stamped with the END of its bucket, so a request
 * leaves the window no earlier than `windowMs` after it was admitted: the
 * window can under-admit by at most one bucket (0.1 %), never over-admit, and
 * there is no 2x burst across a window boundary as with fixed windows.
 *
 * Tokens handed out in a lease are stamped at the lease's expiry (when they
 * may be used at the latest), so leased tokens can never over-admit either.
 */

export interface WindowSnapshot {
  times: number[];
  counts: number[];
}

export class SlidingWindow {
  private times: number[] = [];
  private counts: number[] = [];
  private total = 0;
  readonly bucketMs: number;

  constructor(
    /** Mutable: a new limit keeps what the window already counts (only a new length needs a new window). */
    public limit: number,
    readonly windowMs: number,
    snapshot?: WindowSnapshot,
  ) {
    this.bucketMs = Math.max(1, Math.floor(windowMs / 1000));
    if (snapshot) {
      this.times = [...snapshot.times];
      this.counts = [...snapshot.counts];
      this.total = this.counts.reduce((sum, n) => sum + n, 0);
    }
  }

  /** Admissions still inside the window at `now`. */
  used(now: number): number {
    this.expire(now);
    return this.total;
  }

  remaining(now: number): number {
    return Math.max(0, this.limit - this.used(now));
  }

  /** When the oldest admission leaves the window (the quota next grows), or `now` if empty. */
  resetAt(now: number): number {
    this.expire(now);
    const oldest = this.times[0];
    return oldest === undefined ? now : oldest + this.windowMs;
  }

  /** Latest moment anything in the window expires: after it, the window is empty. */
  drainedAt(now: number): number {
    this.expire(now);
    const newest = this.times[this.times.length - 1];
    return newest === undefined ? now : newest + this.windowMs;
  }

  /** Records `count` admissions happening at or before `at`; returns the bucket they went to. */
  record(at: number, count = 1): number {
    const bucket = Math.ceil(at / this.bucketMs) * this.bucketMs;
    let i = this.times.length;
    while (i > 0 && (this.times[i - 1] as number) > bucket) i--;
    if (i > 0 && this.times[i - 1] === bucket) {
      this.counts[i - 1] = (this.counts[i - 1] as number) + count;
    } else {
      this.times.splice(i, 0, bucket);
      this.counts.splice(i, 0, count);
    }
    this.total += count;
    return bucket;
  }

  /** Gives back up to `count` unused admissions recorded in `bucket`, if still in the window. */
  release(bucket: number, count: number): void {
    const i = this.times.indexOf(bucket);
    if (i < 0 || count <= 0) return;
    const returned = Math.min(count, this.counts[i] as number);
    this.counts[i] = (this.counts[i] as number) - returned;
    this.total -= returned;
    if (this.counts[i] === 0) {
      this.times.splice(i, 1);
      this.counts.splice(i, 1);
    }
  }

  snapshot(): WindowSnapshot {
    return { times: [...this.times], counts: [...this.counts] };
  }

  private expire(now: number): void {
    let drop = 0;
    while (drop < this.times.length && (this.times[drop] as number) + this.windowMs <= now) {
      this.total -= this.counts[drop] as number;
      drop++;
    }
    if (drop > 0) {
      this.times.splice(0, drop);
      this.counts.splice(0, drop);
    }
  }
}
