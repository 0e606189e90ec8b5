/**
 * `npm run bench`: the gateway's cost against the platform's floor, on one
 * runtime (workerd via Miniflare), one fast local origin and one load
 * generator (wrk, else autocannon), for the scenarios of scenarios.ts.
 *
 * 1. Throughput: every round runs the bare pass-through, then each chosen
 *    scenario (in an order rotated each round), BENCH_SECONDS (default 4)
 *    each with 32 connections, for BENCH_ROUNDS (default 4) rounds. A
 *    scenario's ratio is the median over rounds of its requests/s ÷ the bare
 *    pass-through's of the same round. Refused keys (forged, junk) run
 *    max(2, rounds / 4) rounds after.
 * 2. Low-load latency (latency.ts), 3. gate work in steady traffic and the
 *    first rollups (background.ts).
 *
 * BENCH_SCENARIOS picks scenarios and sections (comma-separated ids; see
 * docs/benchmark.md). Everything is written to bench/.out/last.json, which
 * `npm run bench:cost` prices. The last line is `throughput ratio: X`, the
 * hot key's ratio.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { steadySection } from "./background.ts";
import { edgeSection } from "./edge.ts";
import { LATENCY_ROUNDS, latencySection } from "./latency.ts";
import { hasWrk, load } from "./load.ts";
import { drain, measure, type Run, touchEveryKey, warm } from "./measure.ts";
import { hasNginx, startNginx } from "./nginx.ts";
import { startFastOrigin } from "./origin.ts";
import { printRun, printSummaries, printTargets, type ScenarioSummary, summarize } from "./report.ts";
import { measureRollup } from "./rollup.ts";
import {
  buildScenarios,
  type Instance,
  type InstanceId,
  KEYS_PER_ACCOUNT,
  SCENARIOS,
  type Scenario,
  selection,
  startInstances,
} from "./scenarios.ts";
import { STORAGE } from "./workers.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = 32;
/**
 * Unmeasured load right before each run of a many-key scenario: a key's demand
 * is measured over its last 8 whole seconds, so after the other scenarios'
 * runs a slow key looks idle, and a 4-s run alone would measure the start of
 * its traffic, not the steady state that continuous traffic has.
 */
const PRIME_SECONDS = Number(process.env.BENCH_PRIME_SECONDS ?? 4);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const chosen = selection();
const needed = new Set<InstanceId>(["bare"]);
for (const s of SCENARIOS) if (chosen.has(s.id)) needed.add(s.instance);
if (chosen.has("latency")) for (const id of ["hot", "keys1k"] as const) needed.add(id);
if (chosen.has("background") && !needed.has("keys10k")) needed.add("keys1k");
// The latency and background sections send the scenarios' keys: build those scenarios even if not run in rounds.
const built = new Set([...chosen, ...(chosen.has("latency") ? ["hot", "keys200", "keys1k"] : []), "keys1k", "keys10k"]);

const started = Date.now();
const origin = await startFastOrigin();
const instances = await startInstances(needed, origin.url);
const scenarios = new Map(buildScenarios(built, instances).map((s) => [s.id, s]));
const inRounds = [...scenarios.values()].filter((s) => chosen.has(s.id));
const instanceOf = (s: Scenario) => instances.get(s.instance) as Instance;
const runs: Run[] = [];

try {
  const cpu = cpus()[0]?.model ?? "?";
  console.log(
    `MoMail gateway benchmark: ${new Date().toISOString()}, ${cpus().length} CPUs (${cpu}), Node ${process.version}, local storage on ${STORAGE}`,
  );
  console.log(
    `load: ${hasWrk() ? "wrk" : "autocannon"}, ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} interleaved rounds; keys in accounts of ${KEYS_PER_ACCOUNT} (BENCH_KEYS_PER_ACCOUNT)`,
  );
  for (const s of inRounds) if (s.about) console.log(`  ${s.label}: ${s.about}`);

  // Warm up: every key once (isolate caches, every account's gate; instances in parallel, each workerd
  // is one thread), then JIT; then let the gates' timers fire.
  const firstUse = new Map<InstanceId, number>();
  await Promise.all(
    [...instances.values()].map(async (instance) => {
      if (instance.keys.length <= 1) return;
      firstUse.set(instance.id, Date.now());
      const ms = await touchEveryKey(instance);
      console.log(
        `  warmed ${instance.id}: each of its ${instance.keys.length} keys once, in ${(ms / 1000).toFixed(1)} s`,
      );
    }),
  );
  await warm(instances.get("bare") as Instance, undefined, 2);
  for (const s of inRounds) {
    if (!firstUse.has(s.instance)) firstUse.set(s.instance, Date.now());
    await warm(instanceOf(s), s, 2);
  }
  await sleep(11_000);
  drain(instances.values());
  console.log(`setup and warm-up: ${((Date.now() - started) / 1000).toFixed(0)} s\n`);

  const ratioScenarios = inRounds.filter((s) => s.kind === "ratio");
  for (let round = 1; round <= (ratioScenarios.length > 0 ? ROUNDS : 0); round++) {
    const bare = await measure(instances.get("bare") as Instance, undefined, {
      name: "bare",
      round,
      seconds: SECONDS,
      connections: CONNECTIONS,
    });
    runs.push(bare);
    printRun("A  bare pass-through", round, bare);
    for (let i = 0; i < ratioScenarios.length; i++) {
      const s = ratioScenarios[(i + round) % ratioScenarios.length] as Scenario;
      if (s.keysFile && PRIME_SECONDS > 0) await warm(instanceOf(s), s, PRIME_SECONDS);
      const run = await measure(instanceOf(s), s, { name: s.id, round, seconds: SECONDS, connections: CONNECTIONS });
      runs.push(run);
      printRun(s.label, round, run, bare.result.rps);
      if (run.result.non2xx > 0) throw new Error(`${s.label}: ${run.result.non2xx} responses were not 2xx`);
    }
  }
  const refusalRounds = Math.max(2, Math.ceil(ROUNDS / 4));
  for (let round = 1; round <= refusalRounds; round++) {
    for (const s of inRounds.filter((x) => x.kind === "refusal")) {
      const run = await measure(instanceOf(s), s, { name: s.id, round, seconds: SECONDS, connections: CONNECTIONS });
      runs.push(run);
      printRun(s.label, round, run);
    }
  }
  const hotKey = scenarios.get("hot")?.key;
  if (chosen.has("nginx") && hasNginx() && hotKey) {
    // For reference: nginx checking one static key with limit_req, in front of the same origin.
    const nginx = await startNginx(origin.url, hotKey, 18_000 + Math.floor(Math.random() * 1000));
    try {
      for (let round = 1; round <= refusalRounds; round++) {
        const result = await load({
          url: `${nginx.url}/v1/domains`,
          headers: { "X-API-Key": hotKey },
          connections: CONNECTIONS,
          seconds: SECONDS,
        });
        runs.push({ name: "nginx", round, seconds: SECONDS, connections: CONNECTIONS, result });
        printRun("E  nginx key check", round, runs[runs.length - 1] as Run);
      }
    } finally {
      nginx.stop();
    }
  }
  drain(instances.values());

  const bareRuns = runs.filter((r) => r.name === "bare");
  const summaries: ScenarioSummary[] = [
    summarize({ id: "bare", label: "A  bare pass-through", kind: "bare" }, runs, bareRuns),
    ...inRounds.map((s) => {
      const instance = instanceOf(s);
      // K0 sends only the first 200 of its instance's keys.
      const keys = s.id === "keys200" ? Math.min(200, instance.keys.length) : instance.keys.length;
      const accounts = s.id === "keys200" ? Math.ceil(keys / KEYS_PER_ACCOUNT) : instance.accounts;
      return summarize(s, runs, bareRuns, { keys, accounts });
    }),
    ...(runs.some((r) => r.name === "nginx")
      ? [summarize({ id: "nginx", label: "E  nginx key check", kind: "refusal" }, runs, bareRuns)]
      : []),
  ];
  printSummaries(summaries);

  const latency = chosen.has("latency") ? await latencySection(instances, scenarios) : undefined;
  // The scenarios priced by `npm run bench:cost` from a continuous run (hotlua: the hot key from a key file).
  const steadyTargets = (["hotlua", "keys200", "keys1k", "zipf10k", "keys10k"] as const)
    .filter((id) => chosen.has(id))
    .map((id) => scenarios.get(id))
    .filter((scenario): scenario is Scenario => !!scenario)
    .map((scenario) => {
      const instance = instanceOf(scenario);
      // K0 sends only the first 200 of its instance's keys (as in the summaries above).
      const keys = scenario.id === "keys200" ? Math.min(200, instance.keys.length) : instance.keys.length;
      const accounts = scenario.id === "keys200" ? Math.ceil(keys / KEYS_PER_ACCOUNT) : instance.accounts;
      return { instance, scenario, keys, accounts };
    });
  const steady = chosen.has("background") ? await steadySection(steadyTargets) : [];
  const probe = instances.get("keys10k") ?? instances.get("keys1k") ?? instances.get("hot");
  const rollupCost =
    probe?.seeded && probe.gateway
      ? await measureRollup(
          probe.gateway.mf,
          probe.seeded.accountIds[0] as string,
          probe.seeded.keyIds.slice(0, KEYS_PER_ACCOUNT),
        )
      : undefined;
  if (rollupCost) {
    console.log(
      `one account's rollup (${rollupCost.keys} keys, measured on local D1): ${rollupCost.statements} statements; rows written ${rollupCost.rowsWrittenFirst} (first of the hour), ${rollupCost.rowsWrittenLater} (later); ${rollupCost.msPerStatement.toFixed(3)} ms of SQLite per statement`,
    );
  }

  const edge = chosen.has("edge") ? await edgeSection(origin.url) : [];

  const by = new Map(summaries.map((s) => [s.id, s]));
  const steadyWrites = steady.find((s) => s.scenario === "keys1k") ?? steady[0];
  printTargets(by, steadyWrites?.writesPerKeyPer10s);
  mkdirSync("bench/.out", { recursive: true });
  const lean = runs.map(({ counts, ...run }) => ({ ...run, requestsLogged: counts?.requests }));
  writeFileSync(
    "bench/.out/last.json",
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine: { cpus: cpus().length, model: cpu, node: process.version, storage: STORAGE },
        settings: {
          rounds: ROUNDS,
          seconds: SECONDS,
          connections: CONNECTIONS,
          keysPerAccount: KEYS_PER_ACCOUNT,
          latencyRounds: LATENCY_ROUNDS,
        },
        scenarios: summaries,
        latency: latency?.summary,
        steady,
        rollupCost,
        edge,
        runs: lean,
      },
      null,
      2,
    ),
  );
  console.log(
    `\nwritten to bench/.out/last.json (npm run bench:cost prices it); ${((Date.now() - started) / 1000).toFixed(0)} s in all`,
  );
  const hot = by.get("hot");
  if (hot?.ratio !== undefined) console.log(`throughput ratio: ${hot.ratio.toFixed(2)}`);
} finally {
  for (const instance of instances.values()) await instance.dispose();
  origin.process.kill();
}
