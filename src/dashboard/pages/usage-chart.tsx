/**
 * The usage chart, drawn on the server as SVG (no script, no image file):
 * one bar per UTC day, stacked by outcome, with a y axis of round steps,
 * day labels every few days, and a legend. For assistive technology the
 * SVG is one image with a <title> and a <desc> that sums it up; the same
 * numbers follow as a table (in a <details>, open to everyone). Each bar
 * segment has a <title> too, shown as a tooltip. Colours come from the
 * stylesheet (`.fill-*`), which the CSP allows by nonce.
 */
import { chartScale, OUTCOME_LABELS, OUTCOMES, type Outcome, type OutcomeCounts } from "../usage-report";
import { formatDay } from "./format";

const WIDTH = 760;
const HEIGHT = 260;
const LEFT = 56;
const RIGHT = 8;
const TOP = 12;
const BOTTOM = 34;
const PLOT_W = WIDTH - LEFT - RIGHT;
const PLOT_H = HEIGHT - TOP - BOTTOM;
/** A day label every this many days (the last day always has one). */
const LABEL_EVERY = 5;

export type DayCounts = { day: number } & OutcomeCounts;

const count = (n: number) => n.toLocaleString("en");
const shortDay = (day: number) => formatDay(new Date(day)).replace(/ \d{4}$/, "");

/** The counts of a day (or the period) in words: "12 requests: 10 admitted, 2 rate limited". */
export function countsInWords(counts: OutcomeCounts): string {
  const parts = OUTCOMES.filter((outcome) => counts[outcome] > 0).map(
    (outcome) => `${count(counts[outcome])} ${OUTCOME_LABELS[outcome].toLowerCase()}`,
  );
  const total = `${count(counts.total)} request${counts.total === 1 ? "" : "s"}`;
  return parts.length > 0 ? `${total}: ${parts.join(", ")}` : total;
}

function Bar(props: { day: DayCounts; index: number; slot: number; top: number }) {
  const { day, index, slot, top } = props;
  const width = Math.max(4, slot * 0.64);
  const x = LEFT + index * slot + (slot - width) / 2;
  let y = TOP + PLOT_H;
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
        <title>{`${formatDay(new Date(day.day))}: ${count(day[outcome])} ${OUTCOME_LABELS[outcome].toLowerCase()}`}</title>
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
  const sum = days.reduce(
    (all, day) => {
      for (const outcome of OUTCOMES) all[outcome] += day[outcome];
      all.total += day.total;
      return all;
    },
    { admitted: 0, rateLimited: 0, quotaExceeded: 0, forbidden: 0, total: 0 } as OutcomeCounts,
  );
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
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-labelledby={`${props.id}-title ${props.id}-desc`}
        preserveAspectRatio="xMidYMid meet"
      >
        <title id={`${props.id}-title`}>{props.title}</title>
        <desc id={`${props.id}-desc`}>{description}</desc>
        {ticks.map((tick) => {
          const y = (TOP + PLOT_H - (tick / top) * PLOT_H).toFixed(1);
          return (
            <g>
              <line class={tick === 0 ? "axis-line" : "grid-line"} x1={LEFT} x2={WIDTH - RIGHT} y1={y} y2={y} />
              <text class="axis-label" x={LEFT - 8} y={y} text-anchor="end" dominant-baseline="middle">
                {count(tick)}
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
              x={(LEFT + index * slot + slot / 2).toFixed(1)}
              y={HEIGHT - 12}
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

/** The chart's numbers as a table: one row per day, newest first. */
export function UsageDaysTable(props: { caption: string; days: DayCounts[] }) {
  return (
    <div class="table-wrap">
      <table class="numbers">
        <caption class="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Day (UTC)</th>
            <OutcomeHeaders />
          </tr>
        </thead>
        <tbody>
          {[...props.days].reverse().map((day) => (
            <tr>
              <th scope="row">
                <time datetime={new Date(day.day).toISOString().slice(0, 10)}>{formatDay(new Date(day.day))}</time>
              </th>
              {OUTCOMES.map((outcome) => (
                <td class="num">{count(day[outcome])}</td>
              ))}
              <td class="num">{count(day.total)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The column headers of a usage table after its first: one per outcome, then the total. */
export function OutcomeHeaders() {
  return (
    <>
      {OUTCOMES.map((outcome) => (
        <th scope="col" class="num">
          {OUTCOME_LABELS[outcome]}
        </th>
      ))}
      <th scope="col" class="num">
        Total
      </th>
    </>
  );
}
