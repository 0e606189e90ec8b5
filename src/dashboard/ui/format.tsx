/**
 * How the dashboard writes dates: in UTC, in words, as "12 Mar 2026, 14:05
 * UTC", or as the day alone ("12 Mar 2026") where a table has little room,
 * with the full time as a tooltip and the exact instant in `datetime`;
 * counts with thousands separators ("1,234"); and rate limits and durations
 * in words.
 */
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const pad = (n: number) => String(n).padStart(2, "0");

/** A date for people: "12 Mar 2026, 14:05 UTC"; `empty` when there is none. */
export function formatDate(date: Date | null | undefined, empty = "Never"): string {
  if (!date) return empty;
  return `${formatDay(date)}, ${formatTime(date)}`;
}

/** The time of day: "14:05 UTC". */
export function formatTime(date: Date): string {
  return `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
}

/** A day for people: "12 Mar 2026" (UTC). */
export function formatDay(date: Date): string {
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/** A date as a `<time>` element (the day only when `dayOnly`), with the full time as its tooltip. */
export function Time(props: { date: Date | null | undefined; empty?: string; dayOnly?: boolean }) {
  if (!props.date) return <span class="muted">{props.empty ?? "Never"}</span>;
  const iso = props.date.toISOString();
  return (
    <time datetime={iso} title={formatDate(props.date)}>
      {props.dayOnly ? formatDay(props.date) : formatDate(props.date)}
    </time>
  );
}

/** A count for people: "1,234". */
export const formatCount = (n: number): string => n.toLocaleString("en");

const WINDOWS: Record<number, string> = { 1: "second", 60: "minute", 3600: "hour", 86400: "day" };

/** A rate limit for people: "100 per minute", "5 per 10 seconds". */
export function formatRate(limit: { limit: number; windowSeconds: number }): string {
  const count = formatCount(limit.limit);
  const unit = WINDOWS[limit.windowSeconds];
  return unit ? `${count} per ${unit}` : `${count} per ${formatCount(limit.windowSeconds)} seconds`;
}

/** A duration in words, rounded to its largest unit: "1 hour", "24 hours", "7 days". */
export function formatDuration(seconds: number): string {
  const [size, unit] = seconds % 86_400 === 0 && seconds >= 7 * 86_400 ? [86_400, "day"] : [3_600, "hour"];
  const count = Math.round(seconds / size);
  return `${count} ${unit}${count === 1 ? "" : "s"}`;
}

/** A count with its noun: "1 key", "3 keys". */
export function countOf(count: number, noun: string): string {
  return `${formatCount(count)} ${noun}${count === 1 ? "" : "s"}`;
}
