/**
 * How an isolate picks between a location's holder and the account's gate
 * (src/gate/distance.ts), with time as an input.
 */
import { describe, expect, it } from "vitest";
import { GateDistances, MIN_SAMPLES, REPROBE_MS, SETTLE_MS } from "../../src/gate/distance";

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
    expect(far.viaHolder("b", 10, T0 + 121)).toBe(true);
    expect(far.viaHolder("c", 10, T0 + 121)).toBe(false);
  });

  it("takes off the time the gate says it spent (its start, a policy read from D1): a near gate read slowly stays near", () => {
    const d = new GateDistances();
    d.record("a", T0, T0 + 45, 42);
    expect(d.of("a", T0 + 45)).toBe(3);
    expect(d.viaHolder("a", 10, T0 + 46)).toBe(false);
  });

  it("measures a far gate again off the requests' path: SETTLE_MS on while it has fewer than MIN_SAMPLES round trips (one stalled call must not send a near account to the holder for long), then every REPROBE_MS", () => {
    const d = new GateDistances();
    d.record("a", T0, T0 + 30);
    expect(d.viaHolder("a", 10, T0 + 31)).toBe(true);
    expect(d.remeasure("a", T0 + SETTLE_MS - 1)).toBe(false);
    const ping = T0 + 30 + SETTLE_MS;
    expect(d.remeasure("a", ping)).toBe(true);
    // Requests meanwhile still go to the holder, and one ping measures.
    expect(d.viaHolder("a", 10, ping + 1)).toBe(true);
    expect(d.remeasure("a", ping + 1)).toBe(false);
    d.record("a", ping, ping + 1);
    expect(d.viaHolder("a", 10, ping + 2)).toBe(false);
    expect(d.remeasure("c", ping)).toBe(false);
    // A far gate measured MIN_SAMPLES times is settled: pinged only every REPROBE_MS.
    const far = new GateDistances();
    let at = T0;
    for (let i = 0; i < MIN_SAMPLES; i++) {
      far.record("b", at, at + 95);
      at += 95 + SETTLE_MS;
      expect(far.remeasure("b", at)).toBe(i < MIN_SAMPLES - 1);
    }
    expect(far.remeasure("b", at - SETTLE_MS + REPROBE_MS - 1)).toBe(false);
    expect(far.remeasure("b", at - SETTLE_MS + REPROBE_MS)).toBe(true);
    expect(far.viaHolder("b", 10, at)).toBe(true);
  });

  it("follows a gate that came near: the next round trip below HOLDER_MIN_RTT_MS sends the account to the gate again", () => {
    const d = new GateDistances();
    for (let i = 0; i < MIN_SAMPLES; i++) d.record("a", T0, T0 + 100);
    expect(d.viaHolder("a", 10, T0 + REPROBE_MS - 1)).toBe(true);
    const at = T0 + 200 + REPROBE_MS;
    expect(d.remeasure("a", at)).toBe(true);
    d.record("a", at, at + 2);
    expect(d.of("a", at + 2)).toBe(2);
    expect(d.viaHolder("a", 10, at + 3)).toBe(false);
  });

  it("uses the holder always at HOLDER_MIN_RTT_MS=0", () => {
    expect(new GateDistances().viaHolder("a", 0, T0)).toBe(true);
  });
});
