/**
 * `npm run bench:tail`: where the low-load tail comes from. One sequential
 * client (Node's http, keep-alive, one request at a time, each with its own
 * X-Request-Id) loads the bare pass-through, one hot key, 1,000 keys at
 * random and the hot key with request logs off, BENCH_TAIL_SECONDS (default
 * 20) each, BENCH_TAIL_ROUNDS (default 2) rounds. Every request's latency is
 * joined with its log line (the gate's decision, gate calls, which cache
 * answered) and with what else the gateway logged around it (the gate
 * persisting that account, lease settlements), and V8 runs with --trace-gc
 * so each workerd's GC pauses are counted.
 *
 * For the requests at or above each run's p99 it prints how often each
 * suspect was present, beside how often it was present for all requests: a
 * suspect that explains the tail is far more common among the slow ones.
 */
import { parseLog } from "./counts.ts";
import { touchEveryKey } from "./measure.ts";
import { startFastOrigin } from "./origin.ts";
import { buildScenarios, type Instance, type InstanceId, type Scenario, startInstances } from "./scenarios.ts";
import { type Sample, sequential } from "./sequential.ts";
import { median, quantile } from "./stats.ts";

const SECONDS = Number(process.env.BENCH_TAIL_SECONDS ?? 20);
const ROUNDS = Number(process.env.BENCH_TAIL_ROUNDS ?? 2);
process.env.MINIFLARE_WORKERD_V8_FLAGS = "--trace-gc";

/** GC pauses from V8's --trace-gc lines: `… ms: Scavenge 4.1 (6.0) -> 3.2 (6.0) MB, pooled: 0 MB, 0.52 / 0.00 ms …`. */
function gcPauses(lines: string[]): { kind: string; ms: number }[] {
  const out: { kind: string; ms: number }[] = [];
  for (const line of lines) {
    const m = line.match(
      /ms: (Scavenge|Mark-Compact|Mark-sweep|Minor Mark-Sweep|Mark-Compact \(reduce\))[^,]*,.*?([\d.]+) \/ [\d.]+ ms/,
    );
    if (m) out.push({ kind: m[1] as string, ms: Number(m[2]) });
  }
  return out;
}

const pct = (n: number, of: number) => (of > 0 ? `${((n / of) * 100).toFixed(1)} %` : "-");

const origin = await startFastOrigin();
const instances = await startInstances(new Set<InstanceId>(["bare", "hot", "keys1k", "quiet"]), origin.url);
const scenarios = new Map(
  buildScenarios(new Set(["hot", "keys1k", "hotquiet"]), instances).map((s: Scenario) => [s.id, s]),
);
const targets: Array<{ name: string; instance: Instance; keys?: string[] }> = [
  { name: "bare", instance: instances.get("bare") as Instance },
  { name: "hot", instance: instances.get("hot") as Instance, keys: [scenarios.get("hot")?.key as string] },
  { name: "keys1k", instance: instances.get("keys1k") as Instance, keys: instances.get("keys1k")?.keys },
  {
    name: "hot, logs off",
    instance: instances.get("quiet") as Instance,
    keys: [scenarios.get("hotquiet")?.key as string],
  },
];
try {
  await touchEveryKey(instances.get("keys1k") as Instance);
  for (const t of targets) await sequential(t.instance.url, t.keys, 2);
  await new Promise((resolve) => setTimeout(resolve, 11_000));
  for (const t of targets) t.instance.takeLines();
  console.log(`one sequential client, ${SECONDS} s per run, ${ROUNDS} rounds; V8 --trace-gc on every workerd\n`);
  const p99s = new Map<string, number[]>();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const t of targets) {
      const samples = await sequential(t.instance.url, t.keys, SECONDS);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const lines = t.instance.takeLines();
      const sorted = samples.map((s) => s.ms).sort((a, b) => a - b);
      const p99 = quantile(sorted, 0.99);
      p99s.set(t.name, [...(p99s.get(t.name) ?? []), p99]);
      const gc = gcPauses(lines);
      const gcMs = gc.reduce((n, g) => n + g.ms, 0);
      const bigGc = gc.filter((g) => g.ms >= 1).length;
      console.log(
        `${t.name.padEnd(14)} #${round} ${samples.length} requests  p50 ${quantile(sorted, 0.5).toFixed(3)}  p99 ${p99.toFixed(3)}  p99.9 ${quantile(sorted, 0.999).toFixed(3)}  max ${(sorted[sorted.length - 1] ?? 0).toFixed(1)} ms | GC: ${gc.length} pauses (${pct(gc.length, samples.length)} of requests), ${gcMs.toFixed(0)} ms in all, ${bigGc} of ≥ 1 ms, longest ${Math.max(0, ...gc.map((g) => g.ms)).toFixed(2)} ms`,
      );
      if (t.name === "bare") continue;
      explain(samples, lines, p99);
    }
  }
  console.log("\nmedian p99 over rounds (ms):");
  for (const [name, values] of p99s) console.log(`  ${name.padEnd(14)} ${median(values).toFixed(3)}`);
} finally {
  for (const instance of instances.values()) await instance.dispose();
  origin.process.kill();
}

/** For the slow requests (≥ p99) and for all: how often each suspect was on or near the request. */
function explain(samples: Sample[], lines: string[], p99: number): void {
  const byId = new Map<string, { decision?: string; objectCalls: number; cache?: string; serverMs: number }>();
  const persists: number[] = [];
  const settlements: number[] = [];
  for (const raw of lines) {
    if (!raw.startsWith("{")) continue;
    const { message, timestamp = 0 } = JSON.parse(raw) as { message?: string; timestamp?: number };
    if (!message?.startsWith('{"type":')) continue;
    const line = JSON.parse(message) as Record<string, unknown>;
    if (line.type === "request") {
      byId.set(line.requestId as string, {
        decision: line.decision as string | undefined,
        objectCalls: line.objectCalls as number,
        cache: line.cache as string | undefined,
        serverMs: line.latencyMs as number,
      });
    } else if (line.type === "gate" && line.event === "persist") persists.push(timestamp);
    else if (line.type === "background") settlements.push(timestamp);
  }
  const near = (times: number[], s: Sample) => times.some((t) => t >= s.start - 2 && t <= s.start + s.ms + 2);
  const suspects: Array<[string, (s: Sample) => boolean]> = [
    ["a gate call on the path", (s) => (byId.get(s.id)?.objectCalls ?? 0) > 0 && byId.get(s.id)?.decision !== "lease"],
    [
      "answered from a lease, refresh sent",
      (s) => byId.get(s.id)?.decision === "lease" && (byId.get(s.id)?.objectCalls ?? 0) > 0,
    ],
    ["key record from KV or D1", (s) => byId.get(s.id)?.cache === "kv" || byId.get(s.id)?.cache === "d1"],
    ["a gate persist within ±2 ms", (s) => near(persists, s)],
    ["a lease settlement within ±2 ms", (s) => near(settlements, s)],
  ];
  const slow = samples.filter((s) => s.ms >= p99);
  const serverSlow = slow.map((s) => byId.get(s.id)?.serverMs ?? 0);
  console.log(
    `    ${slow.length} requests ≥ p99; the gateway's own latencyMs for them: median ${median(serverSlow)} ms (the rest is outside the isolate's clock: runtime, network, scheduling)`,
  );
  for (const [name, test] of suspects) {
    const inSlow = slow.filter(test).length;
    const inAll = samples.filter(test).length;
    console.log(
      `    ${name.padEnd(38)} slow ${pct(inSlow, slow.length).padStart(8)}   all ${pct(inAll, samples.length).padStart(8)}`,
    );
  }
  // Requests right after one that sent a lease refresh: its answer lands while they run.
  const refreshed = new Set<number>();
  samples.forEach((s, i) => {
    const line = byId.get(s.id);
    if (line?.decision === "lease" && line.objectCalls > 0) refreshed.add(i + 1);
  });
  const afterRefresh = (s: Sample) => refreshed.has(samples.indexOf(s));
  console.log(
    `    ${"the request after a refresh".padEnd(38)} slow ${pct(slow.filter(afterRefresh).length, slow.length).padStart(8)}   all ${pct(refreshed.size, samples.length).padStart(8)}`,
  );
  const statsOf = parseLog(lines);
  console.log(`    decisions ${JSON.stringify(statsOf.decisions)}  persists ${statsOf.persists}`);
}
