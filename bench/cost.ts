/**
 * `npm run bench:cost`: the last `npm run bench` (bench/.out/last.json)
 * priced per million requests, per scenario, at Cloudflare's list prices
 * beyond the Workers Paid plan's monthly inclusions (docs/cost.md gives the
 * sources and how each line is derived), beside the bare pass-through, with
 * the target (at most 1.5 × bare) met or missed. Every line prices what the
 * run measured: gate and holder calls, the seconds the gates and holders
 * could not hibernate (calls open, timers pending), alarms run, storage rows
 * written, KV and D1 operations. The old assumption (every active account's
 * gate in memory all the time, 128 MB) is printed beside it as an upper line.
 * Then how many active keys one D1 database carries, from the statements the
 * run measured.
 */
import { readFileSync } from "node:fs";
import type { SteadyResult } from "./background.ts";
import type { EdgeResult } from "./edge.ts";
import type { ScenarioSummary } from "./report.ts";
import type { RollupCost } from "./rollup.ts";

/** US dollars, list prices read on 2026-12-08 from Cloudflare's pricing pages (docs/cost.md). */
export const PRICES = {
  read: "2026-12-08",
  workerRequestPerM: 0.3,
  workerCpuPerMMs: 0.02,
  /** Each RPC call and each alarm run is one request. */
  objectRequestPerM: 0.15,
  objectGbSecondPerM: 12.5,
  /** Duration is billed for 128 MB per object, while it runs or sits in memory unable to hibernate. */
  objectMemoryGb: 0.128,
  /** KV-API puts on a SQLite-backed object are rows; each setAlarm is one. */
  objectRowWrittenPerM: 1.0,
  objectRowReadPerM: 0.001,
  kvReadPerM: 0.5,
  kvWritePerM: 5.0,
  d1RowReadPerM: 0.001,
  d1RowWrittenPerM: 1.0,
};

/** The target of issue "Cost that sleeps": every scenario at most this many times the bare pass-through. */
const TARGET = 1.5;
/** Usage rolls up once per account per closed hour (src/gate/object.ts). */
const ROLLUP_S = 3_600;
/**
 * Idempotency (src/idempotency/book.ts, CONTRACT §9): a kept answer stays IDEMPOTENCY_TTL_SECONDS (the
 * default here), is read once by each sweep pass (at most one an hour) over its life, and deleted by one.
 */
const IDEMPOTENCY_TTL_S = 86_400;
const SWEEP_EVERY_S = 3_600;
/** Rows a D1 key lookup reads (the key by its unique prefix, its account by primary key). */
const ROWS_PER_LOOKUP = 2;
/** D1's own figure for one database: queries run one at a time, ~1,000 a second at 1 ms each. */
const D1_QUERIES_PER_SECOND = 1_000;
/** The gateway's KV TTL for key records (src/config.ts): each active key costs a D1 lookup once per TTL. */
const DEFAULT_KEY_CACHE_TTL_S = 3_600;
/** What the D1 model keeps free for the admin API and the dashboard: a quarter of the database. */
const ADMIN_SHARE = 0.25;

interface Last {
  date: string;
  settings: { keysPerAccount: number };
  scenarios: ScenarioSummary[];
  steady: SteadyResult[];
  rollupCost?: RollupCost;
  edge?: EdgeResult[];
}

const last = JSON.parse(readFileSync(process.argv[2] ?? "bench/.out/last.json", "utf8")) as Last;
const kpa = last.settings.keysPerAccount;
const rollup = last.rollupCost;
/** D1 rows one account-hour's rollup writes, per key (measured: the first rollup of an hour, index entries included). */
const rollupRowsPerKey = rollup ? rollup.rowsWrittenFirst / rollup.keys : 4;
/** D1 statements one account-hour's rollup takes (measured), whatever its number of keys. */
const rollupStatements = rollup?.statements ?? 2;

/** One scenario's measured operations, per request. */
interface Measured {
  rps: number;
  cpuUs: number;
  objectCalls: number;
  alarms: number;
  /** GB-s billed per request: busy seconds × 128 MB. */
  gbSeconds: number;
  /** The old bound: every active account's gate in memory all the time. */
  boundGbSeconds: number;
  rowsWritten: number;
  rowsRead: number;
  kvReads: number;
  kvWrites: number;
  d1RowsRead: number;
  d1RowsWritten: number;
}

export interface Priced {
  workers: number;
  cpu: number;
  objectRequests: number;
  objectDuration: number;
  objectRows: number;
  kv: number;
  d1: number;
  total: number;
  /** The total had every active account's gate stayed in memory all the time (the old model). */
  bound: number;
}

function priceOf(m: Measured): Priced {
  const cost = {
    workers: PRICES.workerRequestPerM,
    cpu: (m.cpuUs / 1000) * PRICES.workerCpuPerMMs,
    objectRequests: (m.objectCalls + m.alarms) * PRICES.objectRequestPerM,
    objectDuration: m.gbSeconds * PRICES.objectGbSecondPerM,
    objectRows: m.rowsWritten * PRICES.objectRowWrittenPerM + m.rowsRead * PRICES.objectRowReadPerM,
    kv: m.kvReads * PRICES.kvReadPerM + m.kvWrites * PRICES.kvWritePerM,
    d1: m.d1RowsRead * PRICES.d1RowReadPerM + m.d1RowsWritten * PRICES.d1RowWrittenPerM,
  };
  const total = Object.values(cost).reduce((n, v) => n + v, 0);
  const bound = total - cost.objectDuration + m.boundGbSeconds * PRICES.objectGbSecondPerM;
  return { ...cost, total, bound };
}

/** A scenario's operations per request: from its continuous run when it had one, else from its rounds. */
function measuredOf(s: ScenarioSummary, steady: SteadyResult | undefined): Measured {
  const p = s.perRequest;
  const rps = steady?.rps ?? s.rps;
  const accounts = steady?.activeAccounts || s.accountsActive || (s.accounts ?? 0);
  const keys = s.keys ?? 0;
  // Idempotent requests: for each first request's entry, a read per sweep pass over its life and the sweep's
  // delete (after the run: modelled); the rows their claims and settles read and wrote are measured.
  const firsts = p.idempotentFirsts ?? 0;
  const sweepReads = firsts * (IDEMPOTENCY_TTL_S / SWEEP_EVERY_S + 1);
  // Durable Object calls as the objects counted them: the gates' and the location's holder's.
  const perSecond = steady
    ? {
        calls: steady.gateCallsPerSecond + steady.holderCallsPerSecond,
        busy: steady.gateBusySecondsPerSecond + steady.holderBusySecondsPerSecond,
        alarms: steady.alarmsPerSecond,
        rows: steady.rowsWrittenPerSecond,
        gateLoads: steady.gateD1QueriesPerSecond,
      }
    : {
        calls: s.background.objectCalls,
        busy: s.background.gateBusySeconds + s.background.holderBusySeconds,
        alarms: s.background.alarms,
        rows: s.background.storageWrites + p.idempotencyWrites * s.rps,
        gateLoads: p.gateD1Queries * s.rps,
      };
  return {
    rps,
    cpuUs: s.cpuUs ?? 0,
    objectCalls: perSecond.calls / rps,
    alarms: perSecond.alarms / rps,
    gbSeconds: (perSecond.busy * PRICES.objectMemoryGb) / rps,
    boundGbSeconds: (accounts * PRICES.objectMemoryGb) / rps,
    rowsWritten: perSecond.rows / rps + firsts,
    rowsRead: p.idempotencyReads + sweepReads,
    kvReads: steady?.kvReadsPerRequest ?? p.kvReads,
    kvWrites: p.kvWrites,
    // Key lookups and the gates' policy loads read rows; each active key's usage row is written once an hour.
    d1RowsRead: ((steady?.d1QueriesPerRequest ?? p.d1Queries) + perSecond.gateLoads / rps) * ROWS_PER_LOOKUP,
    d1RowsWritten: (keys * rollupRowsPerKey) / ROLLUP_S / rps,
  };
}

const money = (n: number) => (n < 0.0005 && n > 0 ? "<0.001" : n.toFixed(3)).padStart(7);
const verdict = (ratio: number) => (ratio <= TARGET ? "met" : "MISSED");

console.log(
  `bench run of ${last.date}: US$ per million requests at the measured rates and operations (list prices read ${PRICES.read})\n`,
);
console.log(
  `${"scenario".padEnd(31)}  req/s accounts  Workers    CPU  DO req  DO dur  DO rows     KV     D1   total  × bare  target ≤ ${TARGET}   (128 MB bound: total, × bare)`,
);
const bare = last.scenarios.find((s) => s.id === "bare");
const bareCpu = bare ? ((bare.cpuUs ?? 0) / 1000) * PRICES.workerCpuPerMMs : 0;
const bareCost = PRICES.workerRequestPerM + bareCpu;
const missed: string[] = [];
for (const s of last.scenarios) {
  if (s.id === "bare") {
    console.log(
      `${s.label.padEnd(31)} ${s.rps.toFixed(0).padStart(6)}        - ${money(PRICES.workerRequestPerM)} ${money(bareCpu)}       -       -        -      -      - ${money(bareCost)}    1.00`,
    );
    continue;
  }
  if (s.id === "nginx") continue;
  const steady = last.steady.find((x) => x.scenario === s.id);
  const m = measuredOf(s, steady);
  const c = priceOf(m);
  const ratio = c.total / bareCost;
  if (ratio > TARGET) missed.push(s.label);
  const accounts = steady?.activeAccounts || s.accountsActive || s.accounts || 0;
  console.log(
    `${`${s.label}${steady ? " *" : ""}`.padEnd(31)} ${m.rps.toFixed(0).padStart(6)} ${String(accounts).padStart(8)} ${money(c.workers)} ${money(c.cpu)} ${money(c.objectRequests)} ${money(c.objectDuration)}  ${money(c.objectRows)} ${money(c.kv)} ${money(c.d1)} ${money(c.total)} ${ratio.toFixed(2).padStart(7)}  ${verdict(ratio).padEnd(10)} (${money(c.bound)}, ${(c.bound / bareCost).toFixed(2)})`,
  );
}
console.log(
  "  * priced from the continuous run (steady section); the others from their interleaved rounds. CPU is workerd's whole process, an upper bound.",
);

// The edge: many isolates and a holder per location (the bench's edge section). The Worker's CPU is the
// closed-loop scenario's of the same traffic (E1: B, E2: K0); the router is the edge itself, not billed.
if (last.edge && last.edge.length > 0) {
  const cpuOf = (id: string) => last.scenarios.find((s) => s.id === id)?.cpuUs ?? 0;
  console.log(
    `\nthe edge (open loop, a holder per location; bare = $${bareCost.toFixed(3)}):\n${"traffic".padEnd(24)} gate ms isolates  req/s  gate+holder calls  busy ms/req  alarms  rows   DO req  DO dur  DO rows   total  × bare  target ≤ ${TARGET}`,
  );
  for (const e of last.edge) {
    const calls = e.gateCallsPerRequest + e.holderCallsPerRequest;
    const busyMs = e.gateBusyMsPerRequest + e.holderBusyMsPerRequest;
    const c = priceOf({
      rps: e.rate,
      cpuUs: cpuOf(e.id === "E1" ? "hot" : "keys200"),
      objectCalls: calls,
      alarms: e.alarmsPerRequest ?? 0,
      gbSeconds: (busyMs / 1000) * PRICES.objectMemoryGb,
      boundGbSeconds: 0,
      rowsWritten: e.rowsWrittenPerRequest ?? 0,
      rowsRead: 0,
      kvReads: 0,
      kvWrites: 0,
      d1RowsRead: 0,
      d1RowsWritten: 0,
    });
    const ratio = c.total / bareCost;
    if (ratio > TARGET) missed.push(`${e.id} ${e.label}, ${e.isolates} isolates, gate ${e.rttMs} ms away`);
    console.log(
      `${`${e.id} ${e.label}`.padEnd(24)} ${String(e.rttMs).padStart(7)} ${String(e.isolates).padStart(8)} ${e.rate.toFixed(0).padStart(6)} ${calls.toFixed(3).padStart(18)} ${busyMs.toFixed(2).padStart(12)} ${(e.alarmsPerRequest ?? 0).toFixed(3).padStart(7)} ${(e.rowsWrittenPerRequest ?? 0).toFixed(3).padStart(5)} ${money(c.objectRequests)} ${money(c.objectDuration)} ${money(c.objectRows)} ${money(c.total)} ${ratio.toFixed(2).padStart(7)}  ${verdict(ratio)}`,
    );
  }
}

console.log(
  `\ntarget: every scenario at most ${TARGET} × the bare pass-through per million requests: ${missed.length === 0 ? "met" : `MISSED by ${missed.length}: ${missed.join("; ")}`}`,
);

// What idempotency adds: the idempotent POST beside the plain one (same key, same body, same instance).
const idempotent = last.scenarios.find((s) => s.id === "idempotent");
const plain = last.scenarios.find((s) => s.id === "post");
if (idempotent && plain) {
  const [a, b] = [priceOf(measuredOf(idempotent, undefined)), priceOf(measuredOf(plain, undefined))];
  const calls = (s: ScenarioSummary) => s.perRequest.objectCalls + s.perRequest.backgroundCalls;
  const p = idempotent.perRequest;
  const firsts = p.idempotentFirsts ?? 0;
  console.log(
    `\nIdempotency (I vs W): ${(calls(idempotent) - calls(plain)).toFixed(2)} more gate calls per request; per request the gate read ${(p.idempotencyReads ?? 0).toFixed(2)} and wrote ${(p.idempotencyWrites ?? 0).toFixed(2)} rows, and the sweep reads ${(firsts * (IDEMPOTENCY_TTL_S / SWEEP_EVERY_S + 1)).toFixed(0)} and deletes ${firsts.toFixed(2)} over the TTL`,
  );
  console.log(
    `  adds per million requests: $${(a.objectRequests - b.objectRequests).toFixed(3)} DO requests, $${(a.objectRows - b.objectRows).toFixed(3)} DO rows, $${(a.cpu - b.cpu).toFixed(3)} CPU: $${(a.total - b.total).toFixed(3)} in all (${(a.total / b.total).toFixed(2)} × the plain POST)`,
  );
}

// One D1 database: every query takes a turn (D1's limits page). What the gateway asks of it off the admin path,
// per active key and second: a key lookup each time its KV copy expires (KEY_CACHE_TTL_SECONDS), and its
// share of its account's hourly rollup (measured statements). Policies reach gates by push (an admin write
// tells the gate; the gate reads D1 when a request names a newer version), so steady traffic reads none.
const steadyLoads = last.steady.reduce((n, s) => n + s.gateD1QueriesPerSecond, 0);
const steadyKeys = last.steady.reduce((n, s) => n + s.keys, 0);
const policyPerKey = steadyKeys > 0 ? steadyLoads / steadyKeys : 0;
const rollupPerKey = rollupStatements / (ROLLUP_S * kpa);
console.log(
  `\nD1, one database (~${D1_QUERIES_PER_SECOND} queries/s at 1 ms each; ${ADMIN_SHARE * 100} % kept for admin writes):`,
);
console.log(
  `  rollups: ${rollupStatements} statements per account-hour (measured for ${rollup?.keys ?? "?"} keys: ${rollup?.rowsWrittenFirst ?? "?"} rows written the first time in an hour, ${rollup?.rowsWrittenLater ?? "?"} later; ${rollup ? rollup.msPerStatement.toFixed(3) : "?"} ms of SQLite each)`,
);
console.log(
  `  policy loads in steady traffic: ${steadyLoads.toFixed(2)} per second over ${steadyKeys.toLocaleString("en")} active keys (measured; first loads excluded)`,
);
for (const ttl of [300, 3_600, 86_400]) {
  const perKey = 1 / ttl + rollupPerKey + policyPerKey;
  const keys = ((1 - ADMIN_SHARE) * D1_QUERIES_PER_SECOND) / perKey;
  console.log(
    `  KEY_CACHE_TTL_SECONDS=${String(ttl).padEnd(6)}${ttl === DEFAULT_KEY_CACHE_TTL_S ? " (default)" : "          "} ${(perKey * 1e6).toFixed(0).padStart(5)} queries/s per million active keys: one database carries ~${(Math.floor(keys / 10_000) * 10_000).toLocaleString("en")} active keys (${keys >= 1e6 ? "≥ 1,000,000" : "< 1,000,000"}${ttl === DEFAULT_KEY_CACHE_TTL_S ? (keys >= 1e6 ? ": met" : ": MISSED") : ""})`,
  );
}
