/**
 * The time a Durable Object has calls (or background work) open, and the
 * calls it answered: what Durable Object duration and requests bill, since
 * an object cannot hibernate while anything is open. The account gate
 * (object.ts) and a location's holder (holder.ts) log it for the benchmark.
 */
export class BusyTime {
  private open = 0;
  private openSince = 0;
  private busyMs = 0;
  private calls = 0;

  /** Runs one call (`call`) or background task, counting the time any is open. */
  async run<T>(work: () => Promise<T>, call = true): Promise<T> {
    if (this.open++ === 0) this.openSince = Date.now();
    if (call) this.calls++;
    try {
      return await work();
    } finally {
      if (--this.open === 0) this.busyMs += Date.now() - this.openSince;
    }
  }

  /** The open time and calls since the last take. */
  take(now: number): { busyMs: number; calls: number } {
    const taken = { busyMs: this.busyMs + (this.open > 0 ? now - this.openSince : 0), calls: this.calls };
    this.busyMs = 0;
    this.calls = 0;
    if (this.open > 0) this.openSince = now;
    return taken;
  }
}
