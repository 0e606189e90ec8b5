import { describe, expect, it } from "vitest";
import { hourOf, periodAt } from "../../src/gate/calendar";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();

describe("calendar quota periods", () => {
  it("runs a day from 00:00 UTC to the next 00:00 UTC", () => {
    const { start, end } = periodAt("day", at("2027-06-15T13:45:00Z"));
    expect([iso(start), iso(end)]).toEqual(["2027-06-15T00:00:00.000Z", "2027-06-16T00:00:00.000Z"]);
    expect(iso(periodAt("day", at("2027-06-15T23:59:59.999Z")).end)).toBe("2027-06-16T00:00:00.000Z");
    expect(iso(periodAt("day", at("2027-06-16T00:00:00.000Z")).start)).toBe("2027-06-16T00:00:00.000Z");
  });

  it.each([
    ["2027-01-31T23:59:59Z", "2027-01-01", "2027-02-01", 31],
    ["2027-02-14T00:00:00Z", "2027-02-01", "2027-03-01", 28],
    ["2028-02-29T12:00:00Z", "2028-02-01", "2028-03-01", 29],
    ["2027-04-30T23:59:59Z", "2027-04-01", "2027-05-01", 30],
    ["2027-12-31T23:59:59.999Z", "2027-12-01", "2028-01-01", 31],
    ["2100-02-10T00:00:00Z", "2100-02-01", "2100-03-01", 28],
  ])("runs the month of %s from %s to %s (%i days)", (now, start, end, days) => {
    const period = periodAt("month", at(now));
    expect(iso(period.start)).toBe(`${start}T00:00:00.000Z`);
    expect(iso(period.end)).toBe(`${end}T00:00:00.000Z`);
    expect((period.end - period.start) / 86_400_000).toBe(days);
  });

  it("crosses the year end and the leap day by the day", () => {
    expect(iso(periodAt("day", at("2027-12-31T23:00:00Z")).end)).toBe("2028-01-01T00:00:00.000Z");
    expect(iso(periodAt("day", at("2028-02-28T10:00:00Z")).end)).toBe("2028-02-29T00:00:00.000Z");
    expect(iso(periodAt("day", at("2028-02-29T10:00:00Z")).end)).toBe("2028-03-01T00:00:00.000Z");
  });

  it("counts usage by UTC hour", () => {
    expect(iso(hourOf(at("2027-03-05T07:59:59.999Z")))).toBe("2027-03-05T07:00:00.000Z");
  });
});
