/**
 * How the dashboard writes dates and key prefixes: dates in UTC, in words
 * ("12 Mar 2026, 14:05 UTC") with the exact ISO time for a tooltip, and a
 * key as its public prefix followed by a mask, never more of the key.
 */
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

const pad = (n: number) => String(n).padStart(2, "0");

/** A date for people: "12 Mar 2026, 14:05 UTC"; `empty` when there is none. */
export function formatDate(date: Date | null | undefined, empty = "Never"): string {
  if (!date) return empty;
  const day = `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
  return `${day}, ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
}

/** A date as a `<time>` element, with the exact instant in its datetime attribute. */
export function Time(props: { date: Date | null | undefined; empty?: string }) {
  if (!props.date) return <span class="muted">{props.empty ?? "Never"}</span>;
  const iso = props.date.toISOString();
  return (
    <time datetime={iso} title={iso}>
      {formatDate(props.date)}
    </time>
  );
}

/** How a key is shown once created: its public prefix and a mask for the secret. */
export function maskedKey(prefix: string): string {
  return `mk_${prefix}_••••••••`;
}
