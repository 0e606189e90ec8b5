/**
 * What the gateway's own log lines say it did, summed: per `/v1/*` request
 * its KV reads and writes, D1 queries and account-gate calls (and how the
 * gate decided); the calls isolates make after a response (`background`
 * lines); and the gate's work off the request path (`gate` lines: each
 * persist with its storage writes, each alarm's rollup with its D1 writes).
 *
 * workerd writes each line as `{"timestamp":…,"level":…,"message":"<the
 * gateway's JSON line>"}`; the timestamp lets gate work be attributed to the
 * time it happened in. Idempotent requests' storage rows (claims and settles)
 * ride on the gate's persist lines; its sweeps have lines of their own.
 */

export interface LogCounts {
  requests: number;
  kvReads: number;
  kvWrites: number;
  d1Queries: number;
  objectCalls: number;
  /** Requests by the gate's decision (allowed, lease, …) and by which cache layer answered the key lookup. */
  decisions: Record<string, number>;
  caches: Record<string, number>;
  /** Requests with an Idempotency-Key, by the gate's verdict (first, replay, in_flight, …). */
  idempotency: Record<string, number>;
  /** Background lines (lease settlements after a response) and their gate calls. */
  backgroundTasks: number;
  backgroundObjectCalls: number;
  /** The gate's timer writing its storage, and how many rows it wrote. */
  persists: number;
  storageWrites: number;
  /** Idempotency rows the gates' claims and settles read and wrote, and their sweeps read and deleted. */
  idempotencyReads: number;
  idempotencyWrites: number;
  sweepReads: number;
  sweepDeletes: number;
  /** The gate's alarm rolling usage up to D1, and how many statements it wrote. */
  rollups: number;
  d1Writes: number;
  /**
   * What Durable Object duration bills: the milliseconds the gates (on their
   * persist lines) and the location holders (on theirs) had calls or work
   * open, unable to hibernate; the calls they answered; the gates' alarms
   * run (a billed request each) and set (a storage row each).
   */
  gateBusyMs: number;
  gateCalls: number;
  alarms: number;
  alarmsSet: number;
  holderBusyMs: number;
  holderCalls: number;
  /** Gate instances started (first use, or after an eviction), and the policies they read from D1. */
  gateStarts: number;
  gateD1Queries: number;
  /** Accounts the gate lines name (the active accounts). */
  gateAccounts: Set<string>;
  warnings: number;
  errors: number;
  /** Slowest requests seen, for correlating tail latency with what the request did. */
  slow: SlowRequest[];
}

export interface SlowRequest {
  latencyMs: number;
  at: number;
  decision?: string;
  cache?: string;
  objectCalls: number;
  kvReads: number;
  d1Queries: number;
}

const SLOW_KEPT = 50;

export function emptyCounts(): LogCounts {
  return {
    requests: 0,
    kvReads: 0,
    kvWrites: 0,
    d1Queries: 0,
    objectCalls: 0,
    decisions: {},
    caches: {},
    idempotency: {},
    backgroundTasks: 0,
    backgroundObjectCalls: 0,
    persists: 0,
    storageWrites: 0,
    idempotencyReads: 0,
    idempotencyWrites: 0,
    sweepReads: 0,
    sweepDeletes: 0,
    rollups: 0,
    d1Writes: 0,
    gateBusyMs: 0,
    gateCalls: 0,
    alarms: 0,
    alarmsSet: 0,
    holderBusyMs: 0,
    holderCalls: 0,
    gateStarts: 0,
    gateD1Queries: 0,
    gateAccounts: new Set(),
    warnings: 0,
    errors: 0,
    slow: [],
  };
}

const tally = (into: Record<string, number>, key: string | undefined) => {
  if (key !== undefined) into[key] = (into[key] ?? 0) + 1;
};

interface RequestLine {
  type: "request";
  route: string;
  latencyMs: number;
  kvReads: number;
  kvWrites: number;
  d1Queries: number;
  objectCalls: number;
  decision?: string;
  cache?: string;
  idempotency?: string;
}

interface BackgroundLine {
  type: "background";
  objectCalls: number;
}

interface HolderLine {
  type: "holder";
  busyMs: number;
  calls: number;
}

interface GateLine {
  type: "gate";
  event: "persist" | "rollup" | "start" | "load" | "sweep" | "alarm";
  busyMs?: number;
  calls?: number;
  alarmsSet?: number;
  accountId?: string;
  storageWrites?: number;
  idempotencyReads?: number;
  idempotencyWrites?: number;
  read?: number;
  deleted?: number;
  d1Writes?: number;
  d1Queries?: number;
}

type Line = RequestLine | BackgroundLine | GateLine | HolderLine | { type: "warning" | "error" };

/** Adds one parsed line to `counts`. */
function add(counts: LogCounts, line: Line, at: number): void {
  switch (line.type) {
    case "request": {
      if (!line.route.startsWith("/v1/")) return;
      counts.requests++;
      counts.kvReads += line.kvReads;
      counts.kvWrites += line.kvWrites;
      counts.d1Queries += line.d1Queries;
      counts.objectCalls += line.objectCalls;
      tally(counts.decisions, line.decision ?? "none");
      tally(counts.caches, line.cache ?? "none");
      tally(counts.idempotency, line.idempotency);
      const slowest = counts.slow[counts.slow.length - 1];
      if (counts.slow.length < SLOW_KEPT || line.latencyMs > (slowest?.latencyMs ?? 0)) {
        const { latencyMs, decision, cache, objectCalls, kvReads, d1Queries } = line;
        counts.slow.push({ latencyMs, at, decision, cache, objectCalls, kvReads, d1Queries });
        counts.slow.sort((a, b) => b.latencyMs - a.latencyMs);
        counts.slow.length = Math.min(counts.slow.length, SLOW_KEPT);
      }
      return;
    }
    case "background":
      counts.backgroundTasks++;
      counts.backgroundObjectCalls += line.objectCalls;
      return;
    case "gate":
      if (line.accountId) counts.gateAccounts.add(line.accountId);
      if (line.event === "persist") {
        counts.persists++;
        counts.storageWrites += (line.storageWrites ?? 0) + (line.alarmsSet ?? 0);
        counts.gateBusyMs += line.busyMs ?? 0;
        counts.gateCalls += line.calls ?? 0;
        counts.alarmsSet += line.alarmsSet ?? 0;
        counts.idempotencyReads += line.idempotencyReads ?? 0;
        counts.idempotencyWrites += line.idempotencyWrites ?? 0;
      } else if (line.event === "sweep") {
        counts.sweepReads += line.read ?? 0;
        counts.sweepDeletes += line.deleted ?? 0;
      } else if (line.event === "rollup") {
        counts.rollups++;
        counts.d1Writes += line.d1Writes ?? 0;
      } else if (line.event === "alarm") counts.alarms++;
      else if (line.event === "start") counts.gateStarts++;
      else counts.gateD1Queries += line.d1Queries ?? 0;
      return;
    case "holder":
      counts.holderBusyMs += line.busyMs;
      counts.holderCalls += line.calls;
      return;
    case "warning":
      counts.warnings++;
      return;
    case "error":
      counts.errors++;
  }
}

/** Sums workerd's log lines (one JSON object each) into counts; with a window, only gate lines inside it count. */
export function parseLog(lines: string[], window?: { from: number; to: number }): LogCounts {
  const into = emptyCounts();
  for (const raw of lines) {
    if (!raw.startsWith("{")) continue;
    const { message, timestamp = 0 } = JSON.parse(raw) as { message?: string; timestamp?: number };
    if (!message?.startsWith('{"type":')) continue;
    const line = JSON.parse(message) as Line;
    if (window && line.type === "gate" && (timestamp < window.from || timestamp > window.to)) continue;
    add(into, line, timestamp);
  }
  return into;
}

/** The sum of several counts (e.g. the rounds of one scenario). */
export function sumCounts(all: LogCounts[]): LogCounts {
  const total = emptyCounts();
  for (const c of all) {
    for (const field of [
      "requests",
      "kvReads",
      "kvWrites",
      "d1Queries",
      "objectCalls",
      "backgroundTasks",
      "backgroundObjectCalls",
      "persists",
      "storageWrites",
      "idempotencyReads",
      "idempotencyWrites",
      "sweepReads",
      "sweepDeletes",
      "rollups",
      "d1Writes",
      "gateStarts",
      "gateD1Queries",
      "gateBusyMs",
      "gateCalls",
      "alarms",
      "alarmsSet",
      "holderBusyMs",
      "holderCalls",
      "warnings",
      "errors",
    ] as const) {
      total[field] += c[field];
    }
    for (const [k, n] of Object.entries(c.decisions)) total.decisions[k] = (total.decisions[k] ?? 0) + n;
    for (const [k, n] of Object.entries(c.caches)) total.caches[k] = (total.caches[k] ?? 0) + n;
    for (const [k, n] of Object.entries(c.idempotency)) total.idempotency[k] = (total.idempotency[k] ?? 0) + n;
    for (const id of c.gateAccounts) total.gateAccounts.add(id);
    total.slow.push(...c.slow);
  }
  total.slow.sort((a, b) => b.latencyMs - a.latencyMs);
  total.slow.length = Math.min(total.slow.length, SLOW_KEPT);
  return total;
}
