/**
 * The account gates' work off the request path, per second of steady
 * traffic, as Cloudflare bills it: each gate persists what changed at most
 * every PERSIST_MS (10 s), at once after a quiet spell or by an alarm; the
 * seconds it had calls open (it cannot hibernate then: Durable Object
 * duration); the alarms it ran and set. The interleaved rounds load each
 * scenario for a few seconds at a time, shorter than the persist period, so
 * this section loads the scenarios `npm run bench:cost` prices (the hot key,
 * 200, 1,000 and 10,000 keys, Zipf) continuously for BENCH_STEADY_SECONDS
 * (default 20) and counts the gate lines logged from 5 s after the start to
 * the end. Usage rolls up to D1
 * once an hour has closed (src/gate/object.ts): no bench run waits for one;
 * what one costs is measured apart (rollup.ts).
 */

import { load } from "./load.ts";
import { drain, takeAs } from "./measure.ts";
import type { Instance, Scenario } from "./scenarios.ts";
import { fmt, per } from "./stats.ts";

export const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 20);
const SKIP_MS = 5_000;

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
  /** Seconds the gates could not hibernate (calls open), per second of traffic; their calls, alarms and rows, per second. */
  gateBusySecondsPerSecond: number;
  gateCallsPerSecond: number;
  alarmsPerSecond: number;
  rowsWrittenPerSecond: number;
  /** The location's holders: seconds they could not hibernate (calls open, timers pending), their calls, per second. */
  holderBusySecondsPerSecond: number;
  holderCallsPerSecond: number;
  /** Alarms set and policies read from D1 by the gates, per second. */
  alarmsSetPerSecond: number;
  gateD1QueriesPerSecond: number;
  /** Gate lines' accounts active in the window. */
  activeAccounts: number;
}

/** Loads each scenario continuously and counts its gates' persists. */
export async function steadySection(
  runs: Array<{ instance: Instance; scenario: Scenario; keys: number; accounts: number }>,
): Promise<SteadyResult[]> {
  if (runs.length === 0 || STEADY_SECONDS <= 0) return [];
  console.log(
    `\ngate work in steady traffic: ${STEADY_SECONDS} s continuous per scenario, gate lines counted from ${SKIP_MS / 1000} s in`,
  );
  const results: SteadyResult[] = [];
  for (const { instance, scenario, keys, accounts } of runs) {
    if (!instance.gateway) continue;
    drain([instance]);
    const from = Date.now() + SKIP_MS;
    const result = await load({
      url: `${instance.url}/v1/domains`,
      keysFile: scenario.keysFile,
      headers: scenario.key ? { "X-API-Key": scenario.key } : undefined,
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
      keys,
      accounts,
      rps: result.rps,
      seconds: window,
      persistsPerSecond: counts.persists / window,
      storageWritesPerSecond: counts.storageWrites / window,
      writesPerKeyPer10s: (counts.storageWrites / window / keys) * 10,
      objectCallsPerRequest: per(counts.objectCalls, counts.requests),
      backgroundCallsPerRequest: per(counts.backgroundObjectCalls, counts.requests),
      kvReadsPerRequest: per(counts.kvReads, counts.requests),
      d1QueriesPerRequest: per(counts.d1Queries, counts.requests),
      gateD1QueriesPerRequest: per(counts.gateD1Queries, counts.requests),
      gateStarts: counts.gateStarts,
      writesPerPersist: per(counts.storageWrites, counts.persists),
      gateBusySecondsPerSecond: counts.gateBusyMs / 1000 / window,
      gateCallsPerSecond: counts.gateCalls / window,
      alarmsPerSecond: counts.alarms / window,
      rowsWrittenPerSecond: (counts.storageWrites + counts.idempotencyWrites) / window,
      holderBusySecondsPerSecond: counts.holderBusyMs / 1000 / window,
      holderCallsPerSecond: counts.holderCalls / window,
      alarmsSetPerSecond: counts.alarmsSet / window,
      gateD1QueriesPerSecond: counts.gateD1Queries / window,
      activeAccounts: counts.gateAccounts.size,
    };
    results.push(steady);
    console.log(
      `S ${scenario.label.padEnd(28)} ${fmt(result.rps)} req/s  kv/request ${steady.kvReadsPerRequest.toFixed(3)}  d1/request ${steady.d1QueriesPerRequest.toFixed(3)} (+${steady.gateD1QueriesPerRequest.toFixed(3)} by gates)  gate starts ${steady.gateStarts}  gate calls/request ${steady.objectCallsPerRequest.toFixed(3)} (+${steady.backgroundCallsPerRequest.toFixed(3)} background)  persists/s ${steady.persistsPerSecond.toFixed(1)} (${accounts} accounts)  storage writes/s ${steady.storageWritesPerSecond.toFixed(1)}  = ${steady.writesPerKeyPer10s.toFixed(2)} per key per 10 s  gate busy ${(steady.gateBusySecondsPerSecond * 1000).toFixed(0)} ms/s  holder busy ${(steady.holderBusySecondsPerSecond * 1000).toFixed(0)} ms/s  DO calls/s ${(steady.gateCallsPerSecond + steady.holderCallsPerSecond).toFixed(1)}  alarms/s ${steady.alarmsPerSecond.toFixed(2)}`,
    );
  }
  return results;
}
