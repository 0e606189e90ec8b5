/**
 * The account gates' work off the request path, per second of steady
 * traffic: each gate persists what changed at most every PERSIST_MS (10 s)
 * and rolls usage up to D1 every ROLLUP_MS (5 min). The interleaved rounds
 * load each scenario for a few seconds at a time, shorter than the persist
 * timer, so there every run ends with one persist per active account; this
 * section loads the many-key scenarios continuously for
 * BENCH_STEADY_SECONDS (default 25) and counts the gate lines logged from
 * 5 s after the start to the end (two persist periods).
 *
 * Rollups: at the end, `npm run bench` waits (at most BENCH_ROLLUP_WAIT
 * seconds, default 90) until the gates' first alarms are due, ROLLUP_MS after
 * each instance's first request, and counts the rollup lines.
 */

import { load } from "./load.ts";
import { drain, instanceTotals, takeAs } from "./measure.ts";
import type { Instance, InstanceId, Scenario } from "./scenarios.ts";
import { fmt, per } from "./stats.ts";

export const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 25);
export const ROLLUP_WAIT_SECONDS = Number(process.env.BENCH_ROLLUP_WAIT ?? 90);
const SKIP_MS = 5_000;
const ROLLUP_MS = 300_000;

export interface SteadyResult {
  scenario: string;
  keys: number;
  accounts: number;
  rps: number;
  seconds: number;
  /** Gate work per second inside the window. */
  persistsPerSecond: number;
  storageWritesPerSecond: number;
  /** Storage writes per active key per 10 s (target: ≤ 1). */
  writesPerKeyPer10s: number;
  objectCallsPerRequest: number;
  backgroundCallsPerRequest: number;
  kvReadsPerRequest: number;
  d1QueriesPerRequest: number;
  /** Policies the gates read from D1 (first use, and the 5-minute safety re-read), per request. */
  gateD1QueriesPerRequest: number;
  gateStarts: number;
  /** Storage rows per persist (the dirty keys' windows, the account's counts, the usage book). */
  writesPerPersist: number;
}

/** Loads each scenario continuously and counts its gates' persists. */
export async function steadySection(runs: Array<{ instance: Instance; scenario: Scenario }>): Promise<SteadyResult[]> {
  if (runs.length === 0 || STEADY_SECONDS <= 0) return [];
  console.log(
    `\ngate work in steady traffic: ${STEADY_SECONDS} s continuous per scenario, gate lines counted from ${SKIP_MS / 1000} s in`,
  );
  const results: SteadyResult[] = [];
  for (const { instance, scenario } of runs) {
    if (!instance.gateway) continue;
    drain([instance]);
    const from = Date.now() + SKIP_MS;
    const result = await load({
      url: `${instance.url}/v1/domains`,
      keysFile: scenario.keysFile,
      connections: 32,
      seconds: STEADY_SECONDS,
    });
    const to = Date.now();
    // Request lines and settlements of the last requests land just after the run.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const counts = takeAs(instance, `steady:${scenario.id}`, { from, to });
    const window = (to - from) / 1000;
    const steady: SteadyResult = {
      scenario: scenario.id,
      keys: instance.keys.length,
      accounts: instance.accounts,
      rps: result.rps,
      seconds: window,
      persistsPerSecond: counts.persists / window,
      storageWritesPerSecond: counts.storageWrites / window,
      writesPerKeyPer10s: (counts.storageWrites / window / instance.keys.length) * 10,
      objectCallsPerRequest: per(counts.objectCalls, counts.requests),
      backgroundCallsPerRequest: per(counts.backgroundObjectCalls, counts.requests),
      kvReadsPerRequest: per(counts.kvReads, counts.requests),
      d1QueriesPerRequest: per(counts.d1Queries, counts.requests),
      gateD1QueriesPerRequest: per(counts.gateD1Queries, counts.requests),
      gateStarts: counts.gateStarts,
      writesPerPersist: per(counts.storageWrites, counts.persists),
    };
    results.push(steady);
    console.log(
      `S ${scenario.label.padEnd(28)} ${fmt(result.rps)} req/s  kv/request ${steady.kvReadsPerRequest.toFixed(3)}  d1/request ${steady.d1QueriesPerRequest.toFixed(3)} (+${steady.gateD1QueriesPerRequest.toFixed(3)} by gates)  gate starts ${steady.gateStarts}  gate calls/request ${steady.objectCallsPerRequest.toFixed(3)} (+${steady.backgroundCallsPerRequest.toFixed(3)} background)  persists/s ${steady.persistsPerSecond.toFixed(1)} (${instance.accounts} accounts)  storage writes/s ${steady.storageWritesPerSecond.toFixed(1)}  = ${steady.writesPerKeyPer10s.toFixed(2)} per key per 10 s`,
    );
  }
  return results;
}

export interface RollupResult {
  instance: string;
  accounts: number;
  keys: number;
  rollups: number;
  d1Writes: number;
}

/** Waits (bounded) for the gates' first rollups, then counts rollup lines per instance. */
export async function rollupSection(
  instances: Map<InstanceId, Instance>,
  firstUse: Map<InstanceId, number>,
): Promise<RollupResult[]> {
  const due = Math.max(...[...firstUse.values()].map((t) => t + ROLLUP_MS + 10_000));
  const wait = due - Date.now();
  if (wait > 0 && wait <= ROLLUP_WAIT_SECONDS * 1000) {
    console.log(`\nwaiting ${(wait / 1000).toFixed(0)} s for the gates' first rollup alarms (every 5 min per account)`);
    await new Promise((resolve) => setTimeout(resolve, wait));
  } else if (wait > 0) {
    console.log(
      `\nrollups: the first alarms are due in ${(wait / 1000).toFixed(0)} s, past BENCH_ROLLUP_WAIT; not waited for`,
    );
  }
  drain(instances.values());
  const results: RollupResult[] = [];
  for (const [id, instance] of instances) {
    if (!instance.gateway) continue;
    const counts = instanceTotals(id);
    results.push({
      instance: id,
      accounts: instance.accounts,
      keys: instance.keys.length,
      rollups: counts.rollups,
      d1Writes: counts.d1Writes,
    });
  }
  console.log("rollups (alarm invocations) per instance: rollups / accounts, D1 statements per rollup");
  for (const r of results) {
    console.log(
      `  ${r.instance.padEnd(9)} ${String(r.rollups).padStart(5)} / ${String(r.accounts).padStart(5)} accounts  ${per(r.d1Writes, r.rollups).toFixed(1)} statements per rollup (${r.keys} keys)`,
    );
  }
  return results;
}
