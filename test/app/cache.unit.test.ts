import { describe, expect, it } from "vitest";
import { ClockCache } from "../../src/cache";

describe("ClockCache", () => {
  it("never holds more than its bound", () => {
    const cache = new ClockCache<number>(100);
    for (let i = 0; i < 10_000; i++) cache.set(`k${i}`, i, 60_000, 0);
    expect(cache.size).toBe(100);
  });

  it("keeps recently used entries over older unused ones", () => {
    const cache = new ClockCache<number>(3);
    cache.set("a", 1, 60_000, 0);
    cache.set("b", 2, 60_000, 0);
    cache.set("c", 3, 60_000, 0);
    expect(cache.get("a", 0)).toBe(1);
    cache.set("d", 4, 60_000, 0);
    expect(cache.get("a", 0)).toBe(1);
    expect(cache.get("b", 0)).toBeUndefined();
    expect(cache.get("c", 0)).toBe(3);
    expect(cache.get("d", 0)).toBe(4);
  });

  it("forgets entries once their time-to-live has passed", () => {
    const cache = new ClockCache<number>(10);
    cache.set("a", 1, 1_000, 0);
    expect(cache.get("a", 999)).toBe(1);
    expect(cache.get("a", 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it("updates an entry in place", () => {
    const cache = new ClockCache<number>(10);
    cache.set("a", 1, 1_000, 0);
    cache.set("a", 2, 5_000, 0);
    expect(cache.get("a", 2_000)).toBe(2);
    expect(cache.size).toBe(1);
  });
});
