/**
 * The low-load latency section of `npm run bench`: one connection, one wrk
 * thread (`wrk -c1 -t1`), BENCH_LATENCY_SECONDS (default 4) per run, over
 * BENCH_LATENCY_ROUNDS (default 5) interleaved rounds: the bare pass-through,
 * one hot key, and 1,000 keys at random. Each round also gives the
 * gateway-added latency (gateway minus bare, same round) at p50, p99 and
 * p99.9; the summary is the median over the rounds.
 *
 * Targets (issue "Tail latency"): hot key p99 within 2 ms of bare; many keys
 * p50 within 0.5 ms and p99 within 5 ms.
 */
import { measure, type Run, totals } from "./measure.ts";
import type { Instance, InstanceId, Scenario } from "./scenarios.ts";
import { fmt, median } from "./stats.ts";

export const LATENCY_ROUNDS = Number(process.env.BENCH_LATENCY_ROUNDS ?? 5);
export const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 4);

interface Target {
  name: string;
  instance: InstanceId;
  scenario?: Scenario;
}

export interface LatencySummary {
  target: string;
  p50: number;
  p99: number;
  p999: number;
  /** Gateway minus bare, median over rounds of the per-round differences (absent for bare). */
  added?: { p50: number; p99: number; p999: number };
  target50?: number;
  target99?: number;
}

const PERCENTILES = ["p50", "p99", "p999"] as const;

/** Runs the section; prints each run and the summary; returns both. */
export async function latencySection(
  instances: Map<InstanceId, Instance>,
  scenarios: Map<string, Scenario>,
): Promise<{ runs: Run[]; summary: LatencySummary[] }> {
  const targets: Target[] = [
    { name: "bare", instance: "bare" },
    { name: "hot", instance: "hot", scenario: scenarios.get("hot") },
    { name: "keys1k", instance: "keys1k", scenario: scenarios.get("keys1k") },
  ];
  console.log(
    `\nlow-load latency: wrk -c1 -t1, ${LATENCY_SECONDS} s per run, ${LATENCY_ROUNDS} interleaved rounds (ms)`,
  );
  const runs: Run[] = [];
  for (let round = 1; round <= LATENCY_ROUNDS; round++) {
    // Rotated each round, so drift and whatever ran before weigh on each target alike.
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(i + round) % targets.length] as Target;
      const instance = instances.get(target.instance) as Instance;
      const run = await measure(instance, target.scenario, {
        name: `latency:${target.name}`,
        round,
        seconds: LATENCY_SECONDS,
        connections: 1,
        threads: 1,
      });
      runs.push(run);
      const r = run.result;
      console.log(
        `L ${target.name.padEnd(8)} #${round} ${fmt(r.rps)} req/s  p50 ${fmt(r.p50, 3)}  p99 ${fmt(r.p99, 3)}  p99.9 ${fmt(r.p999, 3)}  max ${fmt(r.max, 1)}`,
      );
    }
  }
  const of = (name: string) => runs.filter((r) => r.name === `latency:${name}`).sort((a, b) => a.round - b.round);
  const bare = of("bare");
  const summary: LatencySummary[] = targets.map(({ name }) => {
    const mine = of(name);
    const at = (p: (typeof PERCENTILES)[number]) => median(mine.map((r) => r.result[p]));
    const added =
      name === "bare"
        ? undefined
        : {
            p50: median(mine.map((r, i) => r.result.p50 - (bare[i]?.result.p50 ?? Number.NaN))),
            p99: median(mine.map((r, i) => r.result.p99 - (bare[i]?.result.p99 ?? Number.NaN))),
            p999: median(mine.map((r, i) => r.result.p999 - (bare[i]?.result.p999 ?? Number.NaN))),
          };
    const goals = name === "hot" ? { target99: 2 } : name === "keys1k" ? { target50: 0.5, target99: 5 } : {};
    return { target: name, p50: at("p50"), p99: at("p99"), p999: at("p999"), added, ...goals };
  });
  printSummary(summary);
  return { runs, summary };
}

function printSummary(summary: LatencySummary[]): void {
  console.log("\nlatency medians (ms)          p50      p99    p99.9   added p50  added p99  added p99.9  target");
  for (const s of summary) {
    const added = s.added
      ? `${fmt(s.added.p50, 3)}   ${fmt(s.added.p99, 3)}     ${fmt(s.added.p999, 3)}`
      : "       -          -            -";
    const goals: string[] = [];
    if (s.target50 !== undefined)
      goals.push(`p50 ≤ +${s.target50} ${(s.added?.p50 ?? 99) <= s.target50 ? "met" : "MISSED"}`);
    if (s.target99 !== undefined)
      goals.push(`p99 ≤ +${s.target99} ${(s.added?.p99 ?? 99) <= s.target99 ? "met" : "MISSED"}`);
    console.log(
      `${s.target.padEnd(26)} ${fmt(s.p50, 3)} ${fmt(s.p99, 3)} ${fmt(s.p999, 3)}   ${added}  ${goals.join(", ")}`,
    );
  }
  for (const name of ["hot", "keys1k"]) {
    const counts = totals(`latency:${name}`);
    if (!counts || counts.requests === 0) continue;
    const slow = counts.slow.slice(0, 20);
    const tally = (pick: (s: (typeof slow)[number]) => string) => {
      const t: Record<string, number> = {};
      for (const s of slow) t[pick(s)] = (t[pick(s)] ?? 0) + 1;
      return JSON.stringify(t);
    };
    console.log(
      `  ${name}: decisions ${JSON.stringify(counts.decisions)}; the 20 slowest logged (${slow.map((s) => s.latencyMs).join(",")} ms): decision ${tally((s) => s.decision ?? "-")}, gate calls ${tally((s) => String(s.objectCalls))}, cache ${tally((s) => s.cache ?? "-")}`,
    );
  }
}
