/**
 * The throughput part of the output: each scenario's medians over its
 * rounds (requests/s, the ratio to the bare pass-through of the same round,
 * latency, workerd CPU per request), the storage operations per request and
 * the gate work per loaded second counted from the gateway's log lines, and
 * whether the issues' targets hold. The same summaries go to
 * bench/.out/last.json for `npm run bench:cost`.
 */
import type { LogCounts } from "./counts.ts";
import { type Run, totals } from "./measure.ts";
import type { Scenario } from "./scenarios.ts";
import { fmt, median, per } from "./stats.ts";

export interface ScenarioSummary {
  id: string;
  label: string;
  kind: "bare" | "ratio" | "refusal";
  about?: string;
  keys?: number;
  accounts?: number;
  rounds: number;
  seconds: number;
  rps: number;
  /** Median of the per-round ratios to the bare pass-through, and the ratios themselves. */
  ratio?: number;
  ratios: number[];
  p50: number;
  p99: number;
  cpuUs?: number;
  requests: number;
  /** d1Queries: the isolates' key lookups; gateD1Queries: policies the gates read from D1. */
  perRequest: {
    kvReads: number;
    kvWrites: number;
    d1Queries: number;
    gateD1Queries: number;
    objectCalls: number;
    backgroundCalls: number;
    /** Idempotency rows the gate read and wrote for claims and settles (the sweep's come later: cost.ts). */
    idempotencyReads: number;
    idempotencyWrites: number;
    /** Requests that were an Idempotency-Key's first (each leaves a row for the sweep to delete at its expiry). */
    idempotentFirsts: number;
  };
  decisions: Record<string, number>;
  caches: Record<string, number>;
  /** Gate work per second of load (runs shorter than the persist timer: see background.ts). */
  background: {
    persists: number;
    storageWrites: number;
    rollups: number;
    d1Writes: number;
    gateStarts: number;
    /** Seconds the gates had calls open (could not hibernate), alarms they ran, per second of load. */
    gateBusySeconds: number;
    alarms: number;
    /** Calls the gates and the location's holder answered, and the seconds the holder could not hibernate. */
    objectCalls: number;
    holderBusySeconds: number;
  };
  accountsActive: number;
}

const PER_REQUEST_ZERO = {
  kvReads: 0,
  kvWrites: 0,
  d1Queries: 0,
  gateD1Queries: 0,
  objectCalls: 0,
  backgroundCalls: 0,
  idempotencyReads: 0,
  idempotencyWrites: 0,
  idempotentFirsts: 0,
};

/** One line per run, as it finishes. */
export function printRun(label: string, round: number, run: Run, bareRps?: number): void {
  const r = run.result;
  const ratio = bareRps ? `  ratio ${(r.rps / bareRps).toFixed(3)}` : "";
  const c = run.counts;
  const ops = c && c.requests > 0 ? `  per request: ${opsText(c)}` : "";
  console.log(
    `${`${label} #${round}`.padEnd(32)} ${fmt(r.rps)} req/s${ratio}  p50 ${fmt(r.p50, 2)}  p99 ${fmt(r.p99, 2)}${ops}`,
  );
}

function opsText(c: LogCounts): string {
  const p = (n: number) => per(n, c.requests).toFixed(3);
  return `kv ${p(c.kvReads)}  d1 ${p(c.d1Queries)}+${p(c.gateD1Queries)}  gate ${p(c.objectCalls)} (+${p(c.backgroundObjectCalls)})`;
}

/** Medians and totals of one scenario's runs (`bare`: the bare pass-through's runs, for ratios by round). */
export function summarize(
  scenario: Pick<Scenario, "id" | "label" | "about"> & { kind: ScenarioSummary["kind"] },
  runs: Run[],
  bare: Run[],
  seeded?: { keys: number; accounts: number },
): ScenarioSummary {
  const mine = runs.filter((r) => r.name === scenario.id);
  const ratios = mine
    .map((r) => r.result.rps / (bare.find((b) => b.round === r.round)?.result.rps ?? Number.NaN))
    .filter((x) => !Number.isNaN(x));
  const c = totals(scenario.id);
  const seconds = mine.reduce((n, r) => n + r.seconds, 0);
  const cpu = mine.map((r) => r.cpuUs).filter((x): x is number => x !== undefined);
  return {
    ...scenario,
    keys: seeded?.keys,
    accounts: seeded?.accounts,
    rounds: mine.length,
    seconds,
    rps: median(mine.map((r) => r.result.rps)),
    ratio: scenario.kind === "bare" ? undefined : median(ratios),
    ratios,
    p50: median(mine.map((r) => r.result.p50)),
    p99: median(mine.map((r) => r.result.p99)),
    cpuUs: cpu.length > 0 ? median(cpu) : undefined,
    requests: c?.requests ?? mine.reduce((n, r) => n + r.result.requests, 0),
    perRequest: c
      ? {
          kvReads: per(c.kvReads, c.requests),
          kvWrites: per(c.kvWrites, c.requests),
          d1Queries: per(c.d1Queries, c.requests),
          gateD1Queries: per(c.gateD1Queries, c.requests),
          objectCalls: per(c.objectCalls, c.requests),
          backgroundCalls: per(c.backgroundObjectCalls, c.requests),
          idempotencyReads: per(c.idempotencyReads, c.requests),
          idempotencyWrites: per(c.idempotencyWrites, c.requests),
          idempotentFirsts: per(c.idempotency.first ?? 0, c.requests),
        }
      : PER_REQUEST_ZERO,
    decisions: c?.decisions ?? {},
    caches: c?.caches ?? {},
    background: {
      persists: per(c?.persists ?? 0, seconds),
      storageWrites: per(c?.storageWrites ?? 0, seconds),
      rollups: per(c?.rollups ?? 0, seconds),
      d1Writes: per(c?.d1Writes ?? 0, seconds),
      gateStarts: per(c?.gateStarts ?? 0, seconds),
      gateBusySeconds: per((c?.gateBusyMs ?? 0) / 1000, seconds),
      alarms: per(c?.alarms ?? 0, seconds),
      objectCalls: per((c?.gateCalls ?? 0) + (c?.holderCalls ?? 0), seconds),
      holderBusySeconds: per((c?.holderBusyMs ?? 0) / 1000, seconds),
    },
    accountsActive: c?.gateAccounts.size ?? 0,
  };
}

/** The medians table. */
export function printSummaries(summaries: ScenarioSummary[]): void {
  console.log(
    "\nmedians      (ratio: req/s ÷ the bare pass-through's in the same round; d1: the isolates' + the gates' reads; gate: account-gate calls, + in the background)",
  );
  console.log(
    `${"scenario".padEnd(29)}    req/s   ratio   p50 ms   p99 ms  cpu µs | per request: kv    d1 (+gates)   gate (+bg)     | gate work per s of load: starts persists writes rollups D1-writes`,
  );
  for (const s of summaries) {
    const ratio = s.ratio === undefined ? "      -" : s.ratio.toFixed(2).padStart(7);
    const cpu = s.cpuUs === undefined ? "       -" : fmt(s.cpuUs);
    const p = s.perRequest;
    const ops =
      s.kind === "bare"
        ? ""
        : ` | ${p.kvReads.toFixed(3)} ${p.d1Queries.toFixed(3)} (+${p.gateD1Queries.toFixed(3)}) ${p.objectCalls.toFixed(3)} (+${p.backgroundCalls.toFixed(3)}) | ${s.background.gateStarts.toFixed(1).padStart(6)} ${s.background.persists.toFixed(1).padStart(7)} ${s.background.storageWrites.toFixed(1).padStart(6)} ${s.background.rollups.toFixed(2).padStart(7)} ${s.background.d1Writes.toFixed(1).padStart(8)}`;
    console.log(`${s.label.padEnd(29)} ${fmt(s.rps)} ${ratio} ${fmt(s.p50, 2)} ${fmt(s.p99, 2)} ${cpu}${ops}`);
  }
  for (const s of summaries) {
    if (s.kind !== "ratio") continue;
    console.log(`  pair ratios ${s.id.padEnd(9)} ${s.ratios.map((r) => r.toFixed(3)).join(" ")}`);
  }
  for (const s of summaries) {
    const { idempotencyReads, idempotencyWrites } = s.perRequest;
    if (idempotencyReads + idempotencyWrites === 0) continue;
    console.log(
      `  ${s.id}: idempotency rows per request at the gate: ${idempotencyReads.toFixed(3)} read, ${idempotencyWrites.toFixed(3)} written (the sweep's delete at expiry comes later: bench:cost)`,
    );
  }
}

/** The issues' targets that this run can judge, one line each. */
export function printTargets(by: Map<string, ScenarioSummary>, writesPerKeyPer10s?: number): void {
  const lines: string[] = [];
  const check = (ok: boolean) => (ok ? "met" : "MISSED");
  const ratio = (id: string, goal: number) => {
    const s = by.get(id);
    if (s?.ratio !== undefined)
      lines.push(`${s.label}: ratio ${s.ratio.toFixed(2)} (goal ≥ ${goal}): ${check(s.ratio >= goal)}`);
  };
  ratio("hot", 0.8);
  ratio("policies", 0.8);
  const k = by.get("keys1k");
  if (k?.ratio !== undefined) {
    const calls = k.perRequest.objectCalls + k.perRequest.backgroundCalls;
    lines.push(
      `${k.label}: ratio ${k.ratio.toFixed(2)} (goal ≥ 0.6): ${check(k.ratio >= 0.6)}; gate calls ${calls.toFixed(3)} per request (goal ≤ 0.2): ${check(calls <= 0.2)}`,
    );
  }
  for (const id of ["forged", "junk"]) {
    const s = by.get(id);
    if (!s) continue;
    const p = s.perRequest;
    const zero = p.kvReads + p.d1Queries + p.objectCalls + p.backgroundCalls === 0;
    lines.push(
      `${s.label}: ${p.kvReads} KV, ${p.d1Queries} D1, ${p.objectCalls + p.backgroundCalls} gate calls per request over ${s.requests} requests: ${check(zero)}`,
    );
  }
  const hono = by.get("hono");
  const hot = by.get("hot");
  if (hono?.ratio !== undefined && hot?.ratio !== undefined) {
    lines.push(`Hono-mounted data plane ÷ plain pipeline: ${(hono.ratio / hot.ratio).toFixed(3)} (medians of ratios)`);
  }
  if (writesPerKeyPer10s !== undefined) {
    lines.push(
      `gate storage writes per active key per 10 s in steady traffic: ${writesPerKeyPer10s.toFixed(2)} (goal ≤ 1): ${check(writesPerKeyPer10s <= 1)}`,
    );
  }
  console.log("\ntargets");
  for (const line of lines) console.log(`  ${line}`);
}
