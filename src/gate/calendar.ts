/**
 * Calendar quota periods, computed, never approximated: a day runs from
 * 00:00 UTC to the next 00:00 UTC, a month from the 1st at 00:00 UTC to the
 * 1st of the next month, whatever its length (28, 29, 30 or 31 days; leap
 * years included), by the UTC calendar arithmetic of `Date.UTC`.
 */

export type Period = "day" | "month";

/** The period containing `now`: its start and the next one's start, epoch ms. */
export function periodAt(period: Period, now: number): { start: number; end: number } {
  const date = new Date(now);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth();
  if (period === "month") return { start: Date.UTC(year, month, 1), end: Date.UTC(year, month + 1, 1) };
  const day = date.getUTCDate();
  return { start: Date.UTC(year, month, day), end: Date.UTC(year, month, day + 1) };
}

/** The start of the UTC hour containing `at`, epoch ms: the unit of usage counts. */
export function hourOf(at: number): number {
  return at - (at % 3_600_000);
}

/** The start of the UTC day containing `at`, epoch ms. */
export function dayOf(at: number): number {
  return at - (at % 86_400_000);
}
