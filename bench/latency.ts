/**
 * The low-load latency section of `npm run bench`: one connection, over
 * BENCH_LATENCY_ROUNDS (default 5) interleaved rounds of the bare
 * pass-through, one hot key, 200 keys at random (the scenario: each
 * key at a few requests a second) and 1,000 keys at random (each below one a
 * second). Each target is measured two ways per round, BENCH_LATENCY_SECONDS
 * (default 4) each:
 *
 * - `wrk -c1 -t1`, as the issue measured. wrk corrects its percentiles for
 *   coordinated omission: a request that stalls for 150 ms at an expected
 *   interval of 2 ms is counted as ~75 samples between 2 and 150 ms (what an
 *   open-loop client would have seen), so a single stall of the machine lifts
 *   the p99 of a 4-s run to near that stall.
 * - one request at a time from Node (bench/sequential.ts), each sample one
 *   real request: the milliseconds a caller waits, stall or not.
 *
 * Each round gives the gateway-added latency (gateway minus bare, same round
 * and client) at p50, p99 and p99.9; the summary is the median over rounds.
 * Targets (issue "Tail latency"): hot key p99 within 2 ms of bare; many keys
 * p50 within 0.5 ms and p99 within 5 ms.
 */
import { measure, type Run, totals } from "./measure.ts";
import type { Instance, InstanceId, Scenario } from "./scenarios.ts";
import { sequential } from "./sequential.ts";
import { fmt, median, quantile } from "./stats.ts";

export const LATENCY_ROUNDS = Number(process.env.BENCH_LATENCY_ROUNDS ?? 3);
export const LATENCY_SECONDS = Number(process.env.BENCH_LATENCY_SECONDS ?? 4);

interface Target {
  name: string;
  instance: InstanceId;
  scenario?: Scenario;
  /** The keys the sequential client picks from (none for the bare pass-through). */
  keys?: string[];
}

type Percentiles = { p50: number; p99: number; p999: number };

export interface LatencySummary {
  target: string;
  /** "wrk" (corrected for coordinated omission) or "per-request" (the sequential client). */
  client: "wrk" | "per-request";
  p50: number;
  p99: number;
  p999: number;
  /** Gateway minus bare, median over rounds of the per-round differences (absent for bare). */
  added?: Percentiles;
  target50?: number;
  target99?: number;
}

const CLIENTS = ["wrk", "per-request"] as const;

/** Runs the section; prints each run and the summary; returns both. */
export async function latencySection(
  instances: Map<InstanceId, Instance>,
  scenarios: Map<string, Scenario>,
): Promise<{ runs: Run[]; summary: LatencySummary[] }> {
  const manyKeys = instances.get("keys1k")?.keys ?? [];
  const hotKey = scenarios.get("hot")?.key;
  const targets: Target[] = [
    { name: "bare", instance: "bare" },
    { name: "hot", instance: "hot", scenario: scenarios.get("hot"), keys: hotKey ? [hotKey] : undefined },
    { name: "keys200", instance: "keys1k", scenario: scenarios.get("keys200"), keys: manyKeys.slice(0, 200) },
    { name: "keys1k", instance: "keys1k", scenario: scenarios.get("keys1k"), keys: manyKeys },
  ];
  console.log(
    `\nlow-load latency: one connection, ${LATENCY_SECONDS} s per run and client (wrk -c1 -t1, then one request at a time from Node), ${LATENCY_ROUNDS} interleaved rounds (ms)`,
  );
  const runs: Run[] = [];
  const perRequest = new Map<string, Percentiles[]>();
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
      const samples = await sequential(instance.url, target.keys, LATENCY_SECONDS);
      const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
      const mine = { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), p999: quantile(sorted, 0.999) };
      perRequest.set(target.name, [...(perRequest.get(target.name) ?? []), mine]);
      console.log(
        `L ${target.name.padEnd(8)} #${round} wrk ${fmt(r.rps)} req/s  p50 ${fmt(r.p50, 3)}  p99 ${fmt(r.p99, 3)}  p99.9 ${fmt(r.p999, 3)}  max ${fmt(r.max, 1)} | per request (${samples.length}): p50 ${fmt(mine.p50, 3)}  p99 ${fmt(mine.p99, 3)}  p99.9 ${fmt(mine.p999, 3)}  max ${fmt(sorted[sorted.length - 1] ?? 0, 1)}`,
      );
    }
  }
  const wrkOf = (name: string): Percentiles[] =>
    runs
      .filter((r) => r.name === `latency:${name}`)
      .sort((a, b) => a.round - b.round)
      .map((r) => ({ p50: r.result.p50, p99: r.result.p99, p999: r.result.p999 }));
  const summary: LatencySummary[] = [];
  for (const client of CLIENTS) {
    const of = (name: string) => (client === "wrk" ? wrkOf(name) : (perRequest.get(name) ?? []));
    const bare = of("bare");
    for (const { name } of targets) {
      const mine = of(name);
      const at = (p: keyof Percentiles) => median(mine.map((m) => m[p]));
      const diff = (p: keyof Percentiles) => median(mine.map((m, i) => m[p] - (bare[i]?.[p] ?? Number.NaN)));
      const added = name === "bare" ? undefined : { p50: diff("p50"), p99: diff("p99"), p999: diff("p999") };
      const goals = name === "hot" ? { target99: 2 } : name !== "bare" ? { target50: 0.5, target99: 5 } : {};
      summary.push({ target: name, client, p50: at("p50"), p99: at("p99"), p999: at("p999"), added, ...goals });
    }
  }
  printSummary(summary);
  return { runs, summary };
}

function printSummary(summary: LatencySummary[]): void {
  for (const client of CLIENTS) {
    console.log(
      `\nlatency medians, ${client === "wrk" ? "wrk (corrected for coordinated omission)" : "per request (sequential client)"} (ms)`,
    );
    console.log(`${"".padEnd(26)}      p50      p99    p99.9   added p50  added p99  added p99.9  target`);
    for (const s of summary.filter((x) => x.client === client)) {
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
  }
  for (const name of ["hot", "keys200", "keys1k"]) {
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
