/**
 * One measured run: load a scenario's instance, then read what its workerd
 * did meanwhile (CPU time from /proc) and what the gateway logged (counts.ts).
 *
 * Log lines are attributed to the run that caused them: lines written after
 * a run ends (requests still in flight, lease settlements, the gate's persist
 * timer ten seconds later) are read just before the instance's next run, or
 * by `drain`, and added to the scenario that ran last on that instance.
 */
import { type LogCounts, parseLog, sumCounts } from "./counts.ts";
import { type LoadResult, load } from "./load.ts";
import type { Instance, Scenario } from "./scenarios.ts";
import { cpuMicros } from "./workers.ts";

export interface Run {
  /** The scenario id, or a section's name for it ("latency:hot"). */
  name: string;
  round: number;
  seconds: number;
  connections: number;
  result: LoadResult;
  /** workerd CPU time per request, µs (the whole process: the Worker, the gate, local D1/KV, the runtime). */
  cpuUs?: number;
  /** What the gateway logged during the run (requests and any gate work). */
  counts?: LogCounts;
}

/** Everything logged per run name, run lines and leftovers together; and per instance, whatever ran. */
const attributed = new Map<string, LogCounts[]>();
const byInstance = new Map<string, LogCounts[]>();
const owner = new Map<string, string>();

function keep(into: Map<string, LogCounts[]>, name: string, counts: LogCounts): void {
  const list = into.get(name);
  if (list) list.push(counts);
  else into.set(name, [counts]);
}

function attribute(instance: Instance): void {
  if (!instance.gateway) return;
  const lines = instance.gateway.takeCounts();
  keep(byInstance, instance.id, lines);
  const last = owner.get(instance.id);
  // Lines of a warm-up belong to no run.
  if (last !== undefined) keep(attributed, last, lines);
}

export interface RunOptions {
  name: string;
  round: number;
  seconds: number;
  connections: number;
  threads?: number;
}

/** Loads `scenario` on `instance` once. */
export async function measure(instance: Instance, scenario: Scenario | undefined, options: RunOptions): Promise<Run> {
  attribute(instance);
  const cpu0 = cpuMicros(instance.pid);
  const result = await load({
    ...loadOf(instance, scenario),
    connections: options.connections,
    threads: options.threads,
    seconds: options.seconds,
  });
  const cpu = cpuMicros(instance.pid) - cpu0;
  const counts = instance.gateway?.takeCounts();
  if (counts) {
    keep(attributed, options.name, counts);
    keep(byInstance, instance.id, counts);
    owner.set(instance.id, options.name);
  }
  return {
    name: options.name,
    round: options.round,
    seconds: options.seconds,
    connections: options.connections,
    result,
    cpuUs: cpu > 0 && result.requests > 0 ? cpu / result.requests : undefined,
    counts,
  };
}

/**
 * Takes the instance's new log lines as the run `name` (continuous runs that
 * count only the gate lines inside `window`); returns the windowed counts.
 */
export function takeAs(instance: Instance, name: string, window: { from: number; to: number }): LogCounts {
  const lines = instance.gateway?.takeLines() ?? [];
  const all = parseLog(lines);
  keep(byInstance, instance.id, all);
  keep(attributed, name, all);
  owner.set(instance.id, name);
  return parseLog(lines, window);
}

/** Reads every instance's remaining log lines into the runs that caused them. */
export function drain(instances: Iterable<Instance>): void {
  for (const instance of instances) attribute(instance);
}

/** All that was logged for runs of this name, leftovers included. */
export function totals(name: string): LogCounts | undefined {
  const all = attributed.get(name);
  return all ? sumCounts(all) : undefined;
}

/** All that an instance logged outside its warm-up, whatever ran. */
export function instanceTotals(id: string): LogCounts {
  return sumCounts(byInstance.get(id) ?? []);
}

/** What a scenario sends to an instance: GET /v1/domains with its key(s), or its own request. */
function loadOf(instance: Instance, scenario: Scenario | undefined) {
  const request = scenario?.request;
  const key = scenario?.key ? { "X-API-Key": scenario.key } : undefined;
  return {
    url: `${instance.url}${request?.path ?? "/v1/domains"}`,
    headers: request ? { ...request.headers, ...key } : key,
    keysFile: scenario?.keysFile,
    method: request?.method,
    body: request?.body,
    freshIdempotencyKey: request?.freshIdempotencyKey,
  };
}

/** Loads an instance without measuring (JIT, caches, the gates), attributing its lines to nothing. */
export async function warm(instance: Instance, scenario: Scenario | undefined, seconds: number): Promise<void> {
  attribute(instance);
  await load({ ...loadOf(instance, scenario), connections: 32, seconds });
  owner.delete(instance.id);
}

/**
 * Sends each key once (64 at a time), so a run starts with every key known
 * to the isolate and every account's gate loaded, as in steady traffic.
 */
export async function touchEveryKey(instance: Instance): Promise<number> {
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < instance.keys.length) {
      const key = instance.keys[next++] as string;
      const response = await fetch(`${instance.url}/v1/domains`, { headers: { "X-API-Key": key } });
      const body = await response.text();
      if (response.status !== 200) {
        const errors = (instance.gateway?.takeLines() ?? []).filter((line) => /error|warn/i.test(line)).slice(0, 5);
        throw new Error(`warming ${instance.id}: ${response.status} for a seeded key: ${body}\n${errors.join("\n")}`);
      }
    }
  };
  await Promise.all(Array.from({ length: 64 }, worker));
  return Date.now() - started;
}
