/**
 * The key name and expiry rules themselves (src/keys/rules.ts), in Node,
 * with the clock set by the test: the edges of "trimmed, 1 to 100
 * characters" and of "strictly in the future". That both surfaces apply
 * them, each in its own words, is rules.test.ts (workers).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { z } from "zod";
import { expiryDateRule, expiryRule, MESSAGES, nameRule } from "../../src/keys/rules";

const NOW = "2030-06-15T12:00:00.000Z";

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date(NOW));
});
afterEach(() => {
  vi.useRealTimers();
});

/** The parsed value, or the message of the first issue. */
function apply<T>(rule: z.ZodType<T>, input: unknown): T | string {
  const result = rule.safeParse(input);
  return result.success ? result.data : (result.error.issues[0]?.message ?? "no message");
}

describe("the name rule", () => {
  it("trims a name and takes 1 to 100 characters, refusing the rest in each surface's words", () => {
    for (const surface of ["api", "dashboard"] as const) {
      const say = MESSAGES[surface];
      expect(apply(nameRule(surface), "  Billing worker \t")).toBe("Billing worker");
      expect(apply(nameRule(surface), ` ${"x".repeat(100)} `)).toBe("x".repeat(100));
      expect(apply(nameRule(surface), " \u00a0\t")).toBe(say.nameRequired);
      expect(apply(nameRule(surface), "x".repeat(101))).toBe(say.nameTooLong);
      expect(apply(nameRule(surface), "bad \ud800 name")).toBe(say.nameNotText);
    }
  });
});

describe("the expiry rules, at a fixed now", () => {
  it("refuse the current instant and accept the next millisecond", () => {
    expect(apply(expiryRule("api"), NOW)).toBe(MESSAGES.api.dateNotFuture);
    expect(apply(expiryRule("api"), "2030-06-15T12:00:00.001Z")).toEqual(new Date("2030-06-15T12:00:00.001Z"));
  });

  it("read an offset date-time as the instant it names", () => {
    // 13:00 at +02:00 is 11:00 UTC, an hour ago; 13:00 at -02:00 is 15:00 UTC.
    expect(apply(expiryRule("api"), "2030-06-15T13:00:00+02:00")).toBe(MESSAGES.api.dateNotFuture);
    expect(apply(expiryRule("api"), "2030-06-15T13:00:00-02:00")).toEqual(new Date("2030-06-15T15:00:00Z"));
  });

  it("read a date as 00:00 UTC: today is refused once it has begun, tomorrow is accepted", () => {
    for (const rule of [expiryRule("api"), expiryDateRule("dashboard")]) {
      expect(apply(rule, "2030-06-15")).not.toBeInstanceOf(Date);
      expect(apply(rule, "2030-06-16")).toEqual(new Date("2030-06-16T00:00:00Z"));
    }
    vi.setSystemTime(new Date("2030-06-14T23:59:59.999Z"));
    expect(apply(expiryDateRule("dashboard"), "2030-06-15")).toEqual(new Date("2030-06-15T00:00:00Z"));
  });

  it("take only a real calendar day in the dashboard's date field, and nothing but a date", () => {
    const say = MESSAGES.dashboard;
    expect(apply(expiryDateRule("dashboard"), "2031-02-29")).toBe(say.dateInvalid);
    expect(apply(expiryDateRule("dashboard"), "2032-02-29")).toEqual(new Date("2032-02-29T00:00:00Z"));
    expect(apply(expiryDateRule("dashboard"), "2030-06-16T00:00:00Z")).toBe(say.dateInvalid);
    expect(apply(expiryDateRule("dashboard"), "tomorrow")).toBe(say.dateInvalid);
  });
});
