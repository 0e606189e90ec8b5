import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SlidingWindow } from "../../src/gate/window";

describe("SlidingWindow", () => {
  it("admits exactly the limit, then none until the oldest admission leaves the window", () => {
    const window = new SlidingWindow(3, 1000);
    for (let i = 0; i < 3; i++) {
      expect(window.remaining(0)).toBeGreaterThan(0);
      window.record(0);
    }
    expect(window.remaining(999)).toBe(0);
    expect(window.resetAt(999)).toBe(1000);
    expect(window.remaining(1000)).toBe(3);
  });

  it("never admits more than the limit in any window-long interval (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 10, max: 5000 }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 300 }),
        (limit, windowMs, gaps) => {
          const window = new SlidingWindow(limit, windowMs);
          const admitted: number[] = [];
          let now = 0;
          for (const gap of gaps) {
            now += gap;
            if (window.remaining(now) >= 1) {
              window.record(now);
              admitted.push(now);
            }
          }
          // In every interval [t, t + windowMs) at most `limit` admissions.
          for (let i = 0; i < admitted.length; i++) {
            const start = admitted[i] as number;
            const inWindow = admitted.filter((t) => t >= start && t < start + windowMs).length;
            expect(inWindow).toBeLessThanOrEqual(limit);
          }
        },
      ),
    );
  });

  it("under-admits by at most one bucket (1/1000 of the window)", () => {
    const window = new SlidingWindow(1, 60_000);
    window.record(1);
    expect(window.bucketMs).toBe(60);
    expect(window.remaining(60_059)).toBe(0);
    expect(window.remaining(60_060)).toBe(1);
  });

  it("records lease tokens at the lease's expiry and gives unused ones back", () => {
    const window = new SlidingWindow(10, 1000);
    window.record(0);
    const bucket = window.record(200, 5);
    expect(window.remaining(0)).toBe(4);
    window.release(bucket, 3);
    expect(window.remaining(0)).toBe(7);
    // Leased tokens stay counted until their (later) stamp leaves the window.
    expect(window.remaining(1000)).toBe(8);
    expect(window.remaining(1200)).toBe(10);
  });

  it("survives a snapshot round trip", () => {
    const window = new SlidingWindow(5, 1000);
    window.record(10);
    window.record(20, 2);
    const restored = new SlidingWindow(5, 1000, window.snapshot());
    expect(restored.remaining(30)).toBe(2);
    expect(restored.drainedAt(30)).toBe(1020);
  });
});
