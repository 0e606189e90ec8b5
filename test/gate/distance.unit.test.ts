/**
 * How an isolate picks between a location's holder and the account's gate
 * (src/gate/distance.ts), with time as an input.
 */
import { describe, expect, it } from "vitest";
import { GateDistances, MIN_SAMPLES, REPROBE_MS } from "../../src/gate/distance";

const T0 = 1_800_000_000_000;

describe("gate distances", () => {
  it("asks the gate itself for an account it has not measured, and keeps asking it while it is near", () => {
    const d = new GateDistances();
    expect(d.viaHolder("a", 10, T0)).toBe(false);
    d.record("a", T0, T0 + 3);
    expect(d.of("a", T0 + 3)).toBe(3);
    expect(d.viaHolder("a", 10, T0 + 4)).toBe(false);
  });

  it("asks the holder once the gate is far, by the lowest round trip (not one slow answer)", () => {
    const d = new GateDistances();
    d.record("a", T0, T0 + 2);
    d.record("a", T0, T0 + 80);
    expect(d.viaHolder("a", 10, T0 + 100)).toBe(false);
    const far = new GateDistances();
    far.record("b", T0, T0 + 120);
    // A gate's first calls may be slow for other reasons (it starts, it reads D1): MIN_SAMPLES before "far".
    expect(far.viaHolder("b", 10, T0 + 121)).toBe(false);
    for (let i = 1; i < MIN_SAMPLES; i++) far.record("b", T0, T0 + 95);
    expect(far.of("b", T0 + 120)).toBe(95);
    expect(far.viaHolder("b", 10, T0 + 121)).toBe(true);
    expect(far.viaHolder("c", 10, T0 + 121)).toBe(false);
  });

  it("measures a far gate again with one direct call every REPROBE_MS, and follows a gate that came near", () => {
    const d = new GateDistances();
    for (let i = 0; i < MIN_SAMPLES; i++) d.record("a", T0, T0 + 100);
    expect(d.viaHolder("a", 10, T0 + REPROBE_MS - 1)).toBe(true);
    expect(d.viaHolder("a", 10, T0 + 100 + REPROBE_MS)).toBe(false);
    // The requests meanwhile keep going to the holder: one call measures.
    expect(d.viaHolder("a", 10, T0 + 101 + REPROBE_MS)).toBe(true);
    const at = T0 + 200 + REPROBE_MS;
    d.record("a", at, at + 2);
    expect(d.of("a", at + 2)).toBe(2);
    expect(d.viaHolder("a", 10, at + 3)).toBe(false);
  });

  it("uses the holder always at HOLDER_MIN_RTT_MS=0", () => {
    expect(new GateDistances().viaHolder("a", 0, T0)).toBe(true);
  });
});
