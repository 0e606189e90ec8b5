/**
 * The usage chart, drawn on the server as SVG (no script, no image file):
 * one bar per UTC day, stacked by outcome, with a y axis of round steps,
 * day labels every few days, and a legend. For assistive technology the
 * SVG is one image with a <title> and a <desc> that sums it up; the same
 * numbers follow as a table (in a <details>, open to everyone). Each bar
 * segment has a <title> too, shown as a tooltip. Colours come from the
 * stylesheet (`.fill-*`), which the CSP allows by nonce.
 */
import type { Child } from "hono/jsx";
import { isoDay } from "../../keys/rules";
import { countOf, formatCount, formatDay } from "../ui/format";
import { type Column, RecordTable } from "../ui/table";
import { chartScale, OUTCOME_LABELS, OUTCOMES, type Outcome, type OutcomeCounts, sumCounts } from "./report";

/** The SVG's size, and the margins around the plot (the y axis's labels on the left, the days' below). */
const SVG = { width: 760, height: 260, left: 56, right: 8, top: 12, bottom: 34 };
const PLOT_W = SVG.width - SVG.left - SVG.right;
const PLOT_H = SVG.height - SVG.top - SVG.bottom;
/** A day label every this many days (the last day always has one). */
const LABEL_EVERY = 5;

export type DayCounts = { day: number } & OutcomeCounts;

const shortDay = (day: number) => formatDay(new Date(day)).replace(/ \d{4}$/, "");

/** The counts of a day (or the period) in words: "12 requests: 10 admitted, 2 rate limited". */
export function countsInWords(counts: OutcomeCounts): string {
  const parts = OUTCOMES.filter((outcome) => counts[outcome] > 0).map(
    (outcome) => `${formatCount(counts[outcome])} ${OUTCOME_LABELS[outcome].toLowerCase()}`,
  );
  const total = countOf(counts.total, "request");
  return parts.length > 0 ? `${total}: ${parts.join(", ")}` : total;
}

function Bar(props: { day: DayCounts; index: number; slot: number; top: number }) {
  const { day, index, slot, top } = props;
  const width = Math.max(4, slot * 0.64);
  const x = SVG.left + index * slot + (slot - width) / 2;
  let y = SVG.top + PLOT_H;
  const segments = OUTCOMES.filter((outcome) => day[outcome] > 0).map((outcome: Outcome) => {
    const height = (day[outcome] / top) * PLOT_H;
    y -= height;
    return (
      <rect
        class={`fill-${outcome}`}
        x={x.toFixed(1)}
        y={y.toFixed(1)}
        width={width.toFixed(1)}
        height={height.toFixed(1)}
      >
        <title>{`${formatDay(new Date(day.day))}: ${formatCount(day[outcome])} ${OUTCOME_LABELS[outcome].toLowerCase()}`}</title>
      </rect>
    );
  });
  return <g>{segments}</g>;
}

/** The chart of `days` (oldest first), titled `title`. */
export function UsageChart(props: { id: string; title: string; days: DayCounts[] }) {
  const { days } = props;
  const busiest = days.reduce((best, day) => (day.total > best.total ? day : best), days[0] as DayCounts);
  const { top, step } = chartScale(busiest?.total ?? 0);
  const slot = PLOT_W / Math.max(1, days.length);
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  const sum = sumCounts(days);
  const first = days[0]?.day ?? 0;
  const last = days.at(-1)?.day ?? 0;
  const description =
    sum.total === 0
      ? `No requests from ${formatDay(new Date(first))} to ${formatDay(new Date(last))}.`
      : `${countsInWords(sum)}, from ${formatDay(new Date(first))} to ${formatDay(new Date(last))}. ` +
        `Busiest day: ${formatDay(new Date(busiest.day))}, ${countsInWords(busiest)}.`;
  return (
    <figure class="chart">
      <svg
        class="usage-chart"
        viewBox={`0 0 ${SVG.width} ${SVG.height}`}
        role="img"
        aria-labelledby={`${props.id}-title ${props.id}-desc`}
        preserveAspectRatio="xMidYMid meet"
      >
        <title id={`${props.id}-title`}>{props.title}</title>
        <desc id={`${props.id}-desc`}>{description}</desc>
        {ticks.map((tick) => {
          const y = (SVG.top + PLOT_H - (tick / top) * PLOT_H).toFixed(1);
          return (
            <g>
              <line
                class={tick === 0 ? "axis-line" : "grid-line"}
                x1={SVG.left}
                x2={SVG.width - SVG.right}
                y1={y}
                y2={y}
              />
              <text class="axis-label" x={SVG.left - 8} y={y} text-anchor="end" dominant-baseline="middle">
                {formatCount(tick)}
              </text>
            </g>
          );
        })}
        {days.map((day, index) => (
          <Bar day={day} index={index} slot={slot} top={top} />
        ))}
        {days.map((day, index) =>
          index % LABEL_EVERY === 0 || index === days.length - 1 ? (
            <text
              class="axis-label"
              x={(SVG.left + index * slot + slot / 2).toFixed(1)}
              y={SVG.height - 12}
              text-anchor="middle"
            >
              {shortDay(day.day)}
            </text>
          ) : null,
        )}
      </svg>
      <figcaption>
        <ul class="legend" aria-label="Legend">
          {OUTCOMES.map((outcome) => (
            <li>
              <svg width="12" height="12" viewBox="0 0 12 12" aria-hidden="true">
                <rect class={`fill-${outcome}`} width="12" height="12" rx="3" />
              </svg>
              {OUTCOME_LABELS[outcome]}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}

/** The columns of a usage table after its first: one per outcome, then the total. */
export const COUNT_COLUMNS: Column[] = [
  ...OUTCOMES.map((outcome) => ({ label: OUTCOME_LABELS[outcome], num: true as const })),
  { label: "Total", num: true },
];

/** A usage table's row: its header cell, then the count of each outcome and the total. */
export function CountRow(props: { head: Child; counts: OutcomeCounts; headClass?: string }) {
  return (
    <tr>
      <th scope="row" class={props.headClass}>
        {props.head}
      </th>
      {OUTCOMES.map((outcome) => (
        <td class="num">{formatCount(props.counts[outcome])}</td>
      ))}
      <td class="num">{formatCount(props.counts.total)}</td>
    </tr>
  );
}

/** The chart's numbers as a table: one row per day, newest first. */
export function UsageDaysTable(props: { caption: string; days: DayCounts[] }) {
  const rows = [...props.days].reverse().map((day) => {
    const date = new Date(day.day);
    return <CountRow head={<time datetime={isoDay(date)}>{formatDay(date)}</time>} counts={day} />;
  });
  return <RecordTable class="numbers" caption={props.caption} columns={["Day (UTC)", ...COUNT_COLUMNS]} rows={rows} />;
}
