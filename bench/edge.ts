/**
 * The edge section of `npm run bench` (id `edge`): the gateway as the edge
 * runs it, many isolates per location behind a router and the account's gate
 * a round trip away (bench/edge/cluster.ts), under open-loop traffic at a
 * fixed rate below saturation (bench/edge/openloop.ts).
 *
 * For each gate round trip (EDGE_RTTS, default 0, 20, 100 ms: one cluster
 * each, 32 gateway isolates), each number of isolates the router spreads
 * requests over (EDGE_ISOLATES, default 1, 8, 32) and each traffic:
 *
 *   E1  one hot key                    EDGE_HOT_RATE requests/s (default 500)
 *   E2  200 keys at random (20 accounts) EDGE_KEYS_RATE requests/s (default 200: ~1 a second per key)
 *
 * Before, every key goes once through every isolate (each isolate then holds
 * each key's record, as it does in the steady state of keys used every few
 * seconds: a record stays 5 minutes). Then it sends EDGE_SECONDS (default 5) through the gateways, then the same
 * through the bare Workers behind the same router, after EDGE_WARM_SECONDS
 * (default 6) of unmeasured traffic: demand is measured over whole seconds, so a
 * key at 1 request a second is leased from its third second on, and its
 * account's holder serves it from then (what is measured is the steady state).
 * Each configuration has a location of its own, so its holders start empty.
 * It reports: the share of requests that waited on the account's gate (their
 * log line counts a gate call made for them, directly or by the location's
 * holder), the latency added at p50/p90/p99 (gateway minus bare, the same
 * rate and router), gate calls per request (every call, background ones
 * included, counted by the distant-gate wrapper), holder calls per request,
 * and at 0 ms, the closed-loop throughput ratio to bare (32 connections).
 *
 * Targets (issue "The edge as it is"), at 32 isolates and 100 ms: hot key at
 * most 1 % of requests wait on the gate, 200 keys at most 5 %; added p50 at
 * most 2 ms; added p99 at most one round trip + 5 ms.
 */
import { writeFileSync } from "node:fs";
import { bundleDistant, type Cluster, EDGE_ADMIN_TOKEN, startCluster, warmEveryIsolate } from "./edge/cluster.ts";
import { openLoop } from "./edge/openloop.ts";
import { load } from "./load.ts";
import { type Seeded, seedKeys } from "./seed.ts";
import { fmt, median, quantile } from "./stats.ts";

const list = (name: string, fallback: number[]) =>
  (process.env[name]?.split(",").map(Number) ?? fallback).filter((n) => Number.isFinite(n));
export const EDGE_RTTS = list("EDGE_RTTS", [0, 20, 100]);
export const EDGE_ISOLATES = list("EDGE_ISOLATES", [1, 8, 32]);
const MAX_ISOLATES = Math.max(...EDGE_ISOLATES);
const SECONDS = Number(process.env.EDGE_SECONDS ?? 5);
const WARM_SECONDS = Number(process.env.EDGE_WARM_SECONDS ?? 6);
const HOT_RATE = Number(process.env.EDGE_HOT_RATE ?? 500);
const KEYS_RATE = Number(process.env.EDGE_KEYS_RATE ?? 200);
const THROUGHPUT_SECONDS = Number(process.env.EDGE_THROUGHPUT_SECONDS ?? 3);

export interface EdgeResult {
  id: string;
  label: string;
  rttMs: number;
  isolates: number;
  rate: number;
  requests: number;
  non2xx: number;
  /** Share of requests that waited on the account's gate. */
  waited: number;
  gateCallsPerRequest: number;
  holderCallsPerRequest: number;
  /** Gateway minus bare, ms. */
  added: { p50: number; p90: number; p99: number };
  gateway: { p50: number; p90: number; p99: number };
  bare: { p50: number; p90: number; p99: number };
  /** Closed-loop requests/s, gateway ÷ bare (at 0 ms only). */
  throughputRatio?: number;
  /** Time the gates and holders could not hibernate, ms per request (what Durable Object duration bills). */
  gateBusyMsPerRequest: number;
  holderBusyMsPerRequest: number;
  /** Alarms the gates ran and storage rows they wrote (setAlarm included), per request. */
  alarmsPerRequest: number;
  rowsWrittenPerRequest: number;
}

interface Traffic {
  id: "E1" | "E2";
  label: string;
  rate: number;
  keys: string[];
}

const percentiles = (sorted: number[]) => ({
  p50: quantile(sorted, 0.5),
  p90: quantile(sorted, 0.9),
  p99: quantile(sorted, 0.99),
});

/** What the cluster logged for a run: the gateway's request lines and the gate's and holders' own. */
function countLines(lines: string[]) {
  const counts = {
    requests: 0,
    waited: 0,
    gateCalls: 0,
    holderCalls: 0,
    gateBusyMs: 0,
    holderBusyMs: 0,
    alarms: 0,
    rowsWritten: 0,
  };
  for (const raw of lines) {
    // workerd writes each line as {"timestamp", "level", "message": "<the Worker's JSON line>"} (counts.ts).
    let line: Record<string, unknown>;
    try {
      const { message } = JSON.parse(raw) as { message?: string };
      if (!message?.startsWith('{"type":')) continue;
      line = JSON.parse(message) as Record<string, unknown>;
    } catch {
      continue;
    }
    // An isolate's calls go to its location's holder or, for a near gate, to the gate itself (counted by the
    // distant wrapper, as every gate call is): the holders count the calls they answer on their own lines.
    if (line.type === "request" && typeof line.route === "string" && line.route.startsWith("/v1")) {
      counts.requests++;
      if (Number(line.accountGateCalls) > 0) counts.waited++;
    } else if (line.type === "gatecall") counts.gateCalls++;
    else if (line.type === "holder") {
      counts.holderCalls += Number(line.calls ?? 0);
      counts.holderBusyMs += Number(line.busyMs ?? 0);
    } else if (line.type === "gate" && line.event === "persist") {
      counts.gateBusyMs += Number(line.busyMs ?? 0);
      counts.rowsWritten +=
        Number(line.storageWrites ?? 0) + Number(line.alarmsSet ?? 0) + Number(line.idempotencyWrites ?? 0);
    } else if (line.type === "gate" && line.event === "alarm") counts.alarms++;
  }
  return counts;
}

async function runConfig(cluster: Cluster, rttMs: number, isolates: number, traffic: Traffic): Promise<EdgeResult> {
  const location = `${traffic.id}-${isolates}-${rttMs}`;
  const headers = { "x-edge-isolates": String(isolates), "x-edge-location": location };
  const base = { url: cluster.url, rate: traffic.rate, keys: traffic.keys, headers };
  await openLoop({ ...base, path: "/v1/domains", seconds: WARM_SECONDS });
  cluster.takeLines();
  const gateway = await openLoop({ ...base, path: "/v1/domains", seconds: SECONDS });
  const counts = countLines(cluster.takeLines());
  const bare = await openLoop({ ...base, path: "/__bare/v1/domains", seconds: SECONDS });
  cluster.takeLines();
  const g = percentiles(gateway.latencies);
  const b = percentiles(bare.latencies);
  const requests = Math.max(1, counts.requests);
  const non2xx = Object.entries(gateway.statuses)
    .filter(([status]) => Number(status) !== 200)
    .reduce((n, [, count]) => n + count, gateway.errors);
  return {
    id: traffic.id,
    label: traffic.label,
    rttMs,
    isolates,
    rate: gateway.rate,
    requests: counts.requests,
    non2xx,
    waited: counts.waited / requests,
    gateCallsPerRequest: counts.gateCalls / requests,
    holderCallsPerRequest: counts.holderCalls / requests,
    added: { p50: g.p50 - b.p50, p90: g.p90 - b.p90, p99: g.p99 - b.p99 },
    gateway: g,
    bare: b,
    gateBusyMsPerRequest: counts.gateBusyMs / requests,
    holderBusyMsPerRequest: counts.holderBusyMs / requests,
    alarmsPerRequest: counts.alarms / requests,
    rowsWrittenPerRequest: counts.rowsWritten / requests,
  };
}

/** Closed-loop throughput through the router: gateway ÷ bare, the median of interleaved pairs. */
async function throughput(cluster: Cluster, isolates: number, traffic: Traffic): Promise<number> {
  const headers = { "x-edge-isolates": String(isolates), "x-edge-location": `T-${traffic.id}-${isolates}` };
  const keysFile = `bench/.out/edge-keys-${traffic.id}.txt`;
  writeFileSync(keysFile, `${traffic.keys.join("\n")}\n`);
  const ratios: number[] = [];
  for (let pair = 0; pair < 2; pair++) {
    const gw = await load({
      url: `${cluster.url}/v1/domains`,
      headers,
      keysFile,
      connections: 32,
      seconds: THROUGHPUT_SECONDS,
    });
    const bare = await load({
      url: `${cluster.url}/__bare/v1/domains`,
      headers,
      connections: 32,
      seconds: THROUGHPUT_SECONDS,
    });
    ratios.push(gw.rps / bare.rps);
  }
  cluster.takeLines();
  return median(ratios);
}

const ms = (n: number) => fmt(n, 1);

/** One admin API call through the router (its isolate picked at random, like any request). */
async function adminCall(cluster: Cluster, method: string, path: string, body?: unknown): Promise<number> {
  const started = Date.now();
  const response = await fetch(`${cluster.url}/admin${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${EDGE_ADMIN_TOKEN}`,
      ...(body !== undefined && { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
  return Date.now() - started;
}

/**
 * How long an admin change takes while the hot key holds leases in every
 * isolate and in the location's holder (the change waits them out at the
 * gate), and whether the revocation then holds in every isolate.
 */
async function adminChanges(cluster: Cluster, rttMs: number, hot: Seeded): Promise<void> {
  const [key, keyId, accountId] = [hot.keys[0], hot.keyIds[0], hot.accountIds[0]] as [string, string, string];
  const headers = { "x-edge-isolates": String(MAX_ISOLATES), "x-edge-location": `E1-${MAX_ISOLATES}-${rttMs}` };
  const base = { url: cluster.url, path: "/v1/domains", keys: [key], headers };
  const traffic = openLoop({ ...base, rate: HOT_RATE, seconds: 4 });
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const path = `/accounts/${accountId}/keys/${keyId}`;
  const patchMs = await adminCall(cluster, "PATCH", path, { rateLimit: { limit: 999_999, windowSeconds: 60 } });
  const revokeMs = await adminCall(cluster, "DELETE", path);
  await traffic;
  const after = await openLoop({ ...base, rate: 100, seconds: 1 });
  cluster.takeLines();
  const sent = Object.values(after.statuses).reduce((n, count) => n + count, after.errors);
  console.log(
    `  admin changes, the hot key leased in ${MAX_ISOLATES} isolates and their holder (gate ${rttMs} ms): PATCH answered in ${patchMs} ms, revoke in ${revokeMs} ms; then ${after.statuses[401] ?? 0} of ${sent} requests refused 401`,
  );
}

function printResult(r: EdgeResult): void {
  console.log(
    `  ${r.id} ${r.label.padEnd(26)} ${String(r.rttMs).padStart(4)} ms ${String(r.isolates).padStart(3)} isolates ${fmt(r.rate)} req/s  waited ${(r.waited * 100).toFixed(1).padStart(5)} %  gate ${r.gateCallsPerRequest.toFixed(3)}  holder ${r.holderCallsPerRequest.toFixed(3)} /req  added p50 ${ms(r.added.p50)} p90 ${ms(r.added.p90)} p99 ${ms(r.added.p99)} ms${r.throughputRatio === undefined ? "" : `  throughput ${r.throughputRatio.toFixed(2)}`}${r.non2xx > 0 ? `  NON-2XX ${r.non2xx}` : ""}`,
  );
}

/** Whether each target of the issue holds, printed met/missed. */
export function printEdgeTargets(results: EdgeResult[]): void {
  const at = (id: string) => results.find((r) => r.id === id && r.isolates === 32 && r.rttMs === 100);
  const rows: Array<[string, number | undefined, number, string]> = [];
  const hot = at("E1");
  const keys = at("E2");
  rows.push(["E1 hot key: share of requests waiting on the gate", hot && hot.waited * 100, 1, "%"]);
  rows.push(["E2 200 keys: share of requests waiting on the gate", keys && keys.waited * 100, 5, "%"]);
  rows.push(["E1 hot key: added p50", hot?.added.p50, 2, "ms"]);
  rows.push(["E2 200 keys: added p50", keys?.added.p50, 2, "ms"]);
  rows.push(["E1 hot key: added p99", hot?.added.p99, 105, "ms"]);
  rows.push(["E2 200 keys: added p99", keys?.added.p99, 105, "ms"]);
  console.log("\nedge targets (32 isolates, gate 100 ms away):");
  for (const [label, value, limit, unit] of rows) {
    const verdict = value === undefined ? "not run" : value <= limit ? "met" : "MISSED";
    console.log(
      `  ${label.padEnd(52)} ${value === undefined ? "     -" : value.toFixed(2).padStart(6)} ${unit} (target ≤ ${limit}) ${verdict}`,
    );
  }
}

/** Runs the section against `upstreamUrl`; returns every configuration's result. */
export async function edgeSection(upstreamUrl: string): Promise<EdgeResult[]> {
  console.log(
    `\nedge: ${MAX_ISOLATES} gateway isolates behind a router, open loop (E1 ${HOT_RATE} req/s, E2 ${KEYS_RATE} req/s), ${SECONDS} s per run after ${WARM_SECONDS} s of warm-up`,
  );
  const scriptPath = bundleDistant();
  const results: EdgeResult[] = [];
  for (const rttMs of EDGE_RTTS) {
    const cluster = await startCluster({ isolates: MAX_ISOLATES, upstreamUrl, gateRttMs: rttMs, scriptPath });
    try {
      const hot = await seedKeys(cluster.mf, { keys: 1, keysPerAccount: 1 }, "gateway-0");
      const many = await seedKeys(cluster.mf, { keys: 200, keysPerAccount: 10 }, "gateway-0");
      const warmStarted = Date.now();
      await warmEveryIsolate(cluster, MAX_ISOLATES, [...hot.keys, ...many.keys]);
      console.log(
        `  gate ${rttMs} ms: each key once through each of the ${MAX_ISOLATES} isolates, in ${((Date.now() - warmStarted) / 1000).toFixed(0)} s`,
      );
      const traffics: Traffic[] = [
        { id: "E1", label: "one hot key", rate: HOT_RATE, keys: hot.keys },
        { id: "E2", label: "200 keys at random", rate: KEYS_RATE, keys: many.keys },
      ];
      for (const isolates of EDGE_ISOLATES) {
        for (const traffic of traffics) {
          const result = await runConfig(cluster, rttMs, isolates, traffic);
          if (rttMs === 0) result.throughputRatio = await throughput(cluster, isolates, traffic);
          results.push(result);
          printResult(result);
        }
      }
      await adminChanges(cluster, rttMs, hot);
    } finally {
      await cluster.mf.dispose();
    }
  }
  printEdgeTargets(results);
  return results;
}
