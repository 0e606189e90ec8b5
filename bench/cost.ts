/**
 * `npm run bench:cost`: the last `npm run bench` (bench/.out/last.json)
 * priced per million requests, per scenario, at Cloudflare's published
 * prices beyond the Workers Paid plan's monthly inclusions (docs/cost.md
 * gives the sources and how each line is derived), beside the bare
 * pass-through. Then how many active keys one D1 database carries at the
 * gate's rollup cadence.
 */
import { readFileSync } from "node:fs";
import type { SteadyResult } from "./background.ts";
import type { ScenarioSummary } from "./report.ts";
import type { RollupCost } from "./rollup.ts";

/** US dollars, read from developers.cloudflare.com on 2026-12-02 (docs/cost.md). */
export const PRICES = {
  workerRequestPerM: 0.3,
  workerCpuPerMMs: 0.02,
  objectRequestPerM: 0.15,
  objectGbSecondPerM: 12.5,
  objectMemoryGb: 0.128,
  objectRowWrittenPerM: 1.0,
  objectRowReadPerM: 0.001,
  kvReadPerM: 0.5,
  kvWritePerM: 5.0,
  d1RowReadPerM: 0.001,
  d1RowWrittenPerM: 1.0,
};

/** The gate's cadences (src/gate/object.ts): persist at most every 10 s, roll up every 5 min, policies reread every 5 min. */
const PERSIST_S = 10;
const ROLLUP_S = 300;
const POLICY_S = 300;
/**
 * Idempotency (src/idempotency/book.ts, CONTRACT §9): a kept answer stays IDEMPOTENCY_TTL_SECONDS (the
 * default here), is read once by each sweep pass (at most one an hour) over its life, and deleted by one.
 */
const IDEMPOTENCY_TTL_S = 86_400;
const SWEEP_EVERY_S = 3_600;
/** Rows a D1 key lookup reads (the key by its unique prefix, its account by primary key). */
const ROWS_PER_LOOKUP = 2;
/** D1's own figure for one database: queries are served one at a time, ~1,000 a second at 1 ms each. */
const D1_QUERIES_PER_SECOND = 1_000;

interface Last {
  date: string;
  settings: { keysPerAccount: number };
  scenarios: ScenarioSummary[];
  steady: SteadyResult[];
  rollupCost?: RollupCost;
}

const last = JSON.parse(readFileSync(process.argv[2] ?? "bench/.out/last.json", "utf8")) as Last;
const kpa = last.settings.keysPerAccount;
const rollupRowsPerKey = last.rollupCost ? last.rollupCost.rowsWrittenLater / last.rollupCost.keys : 2;
const rollupStatementsPerKey = last.rollupCost ? last.rollupCost.statements / last.rollupCost.keys : 2;

export interface Priced {
  workers: number;
  cpu: number;
  objectRequests: number;
  objectDuration: number;
  objectRows: number;
  kv: number;
  d1: number;
  total: number;
}

/** Dollars per million requests of one scenario, at its measured rate and operations. */
function price(s: ScenarioSummary, steady: SteadyResult | undefined): Priced {
  const rps = steady?.rps ?? s.rps;
  // Every seeded account gets traffic in these scenarios (Zipf: the least popular still a few requests a minute).
  const accounts = s.accounts ?? s.accountsActive;
  const keys = s.keys ?? 0;
  const perM = (perSecond: number) => (perSecond / rps) * 1e6;
  const p = s.perRequest;
  const calls = steady
    ? steady.objectCallsPerRequest + steady.backgroundCallsPerRequest
    : p.objectCalls + p.backgroundCalls;
  const kvReads = steady?.kvReadsPerRequest ?? p.kvReads;
  const d1Queries = steady?.d1QueriesPerRequest ?? p.d1Queries;
  // Idempotent requests: rows their claims and settles read and wrote (measured), and for each first request's
  // entry, a read per sweep pass over its life and the sweep's delete (after the run: modelled).
  const firsts = p.idempotentFirsts ?? 0;
  const idempotencyWrites = (p.idempotencyWrites ?? 0) + firsts;
  const idempotencyReads = (p.idempotencyReads ?? 0) + firsts * (IDEMPOTENCY_TTL_S / SWEEP_EVERY_S + 1);
  const writesPerPersist =
    steady?.writesPerPersist ?? (s.background.persists > 0 ? s.background.storageWrites / s.background.persists : 0);
  const cost: Omit<Priced, "total"> = {
    workers: PRICES.workerRequestPerM,
    cpu: ((s.cpuUs ?? 0) / 1000) * PRICES.workerCpuPerMMs,
    // Gate calls, plus one alarm per active account per rollup period.
    objectRequests: (calls * 1e6 + perM(accounts / ROLLUP_S)) * (PRICES.objectRequestPerM / 1e6),
    // Each active account's gate stays in memory (its persist timer forbids hibernation): 128 MB, all the time.
    objectDuration: perM(accounts * PRICES.objectMemoryGb) * (PRICES.objectGbSecondPerM / 1e6),
    // Persists and one setAlarm per rollup (a policy is written only when a reread finds it changed), and the
    // idempotency rows (per request already).
    objectRows:
      perM((accounts * writesPerPersist) / PERSIST_S + accounts / ROLLUP_S) * (PRICES.objectRowWrittenPerM / 1e6) +
      idempotencyWrites * PRICES.objectRowWrittenPerM +
      idempotencyReads * PRICES.objectRowReadPerM,
    kv: kvReads * PRICES.kvReadPerM + p.kvWrites * PRICES.kvWritePerM,
    d1:
      (d1Queries * ROWS_PER_LOOKUP * 1e6 + perM(((keys + accounts) * ROWS_PER_LOOKUP) / POLICY_S)) *
        (PRICES.d1RowReadPerM / 1e6) +
      perM((keys * rollupRowsPerKey) / ROLLUP_S) * (PRICES.d1RowWrittenPerM / 1e6),
  };
  const total = Object.values(cost).reduce((n, v) => n + v, 0);
  return { ...cost, total };
}

const money = (n: number) => (n < 0.0005 && n > 0 ? "<0.001" : n.toFixed(3)).padStart(7);
console.log(`bench run of ${last.date}: US$ per million requests at the measured rates and operations\n`);
console.log(
  `${"scenario".padEnd(29)}  req/s accounts  Workers    CPU  DO req  DO dur  DO rows     KV     D1   total  × bare`,
);
const bare = last.scenarios.find((s) => s.id === "bare");
const bareCost = bare ? PRICES.workerRequestPerM + ((bare.cpuUs ?? 0) / 1000) * PRICES.workerCpuPerMMs : Number.NaN;
for (const s of last.scenarios) {
  if (s.id === "bare") {
    console.log(
      `${s.label.padEnd(29)} ${s.rps.toFixed(0).padStart(6)}        - ${money(PRICES.workerRequestPerM)} ${money(bareCost - PRICES.workerRequestPerM)}       -       -        -      -      - ${money(bareCost)}    1.00`,
    );
    continue;
  }
  const steady = last.steady.find((x) => x.scenario === s.id);
  const c = price(s, steady);
  console.log(
    `${s.label.padEnd(29)} ${(steady?.rps ?? s.rps).toFixed(0).padStart(6)} ${String(s.accounts ?? s.accountsActive).padStart(8)} ${money(c.workers)} ${money(c.cpu)} ${money(c.objectRequests)} ${money(c.objectDuration)}  ${money(c.objectRows)} ${money(c.kv)} ${money(c.d1)} ${money(c.total)} ${(c.total / bareCost).toFixed(2).padStart(7)}`,
  );
}

// What idempotency adds: the idempotent POST beside the plain one (same key, same body, same instance).
const idempotent = last.scenarios.find((s) => s.id === "idempotent");
const plain = last.scenarios.find((s) => s.id === "post");
if (idempotent && plain) {
  const [a, b] = [price(idempotent, undefined), price(plain, undefined)];
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

console.log("\nDurable Object duration per million requests, by requests per second per active account:");
for (const rate of [0.1, 1, 10, 100]) {
  const dollars = (PRICES.objectMemoryGb / rate) * 1e6 * (PRICES.objectGbSecondPerM / 1e6);
  console.log(`  ${String(rate).padStart(5)} req/s per account: $${dollars.toFixed(3)}`);
}

// One D1 database: every query takes a turn (D1 limits page). Per active key: its rollup statements and its
// policy reread; per account: its policy reread. Admin writes take what is left (~3 queries each).
const perKeyQps = rollupStatementsPerKey / ROLLUP_S + 1 / POLICY_S + 1 / (kpa * POLICY_S);
const maxKeys = D1_QUERIES_PER_SECOND / perKeyQps;
console.log(
  `\nD1: ${rollupStatementsPerKey.toFixed(1)} rollup statements per key every ${ROLLUP_S / 60} min (measured: ${last.rollupCost?.statements ?? "?"} per account of ${last.rollupCost?.keys ?? "?"} keys), one policy read per key and per account every ${POLICY_S / 60} min`,
);
console.log(
  `  = ${(perKeyQps * 1000).toFixed(1)} queries per second per 1,000 active keys; at ${D1_QUERIES_PER_SECOND} queries/s (1 ms each) one database carries ~${Math.floor(maxKeys / 1000) * 1000} active keys (${Math.floor(maxKeys / kpa / 100) * 100} accounts of ${kpa})`,
);
for (const keys of [1_000, 10_000, 50_000]) {
  const left = D1_QUERIES_PER_SECOND - keys * perKeyQps;
  console.log(
    `  with ${keys.toLocaleString("en")} active keys: ${left.toFixed(0)} queries/s left, ~${Math.floor(left / 3)} admin writes/s at 3 queries each`,
  );
}
if (last.rollupCost) {
  const local = 1000 / last.rollupCost.msPerStatement;
  console.log(
    `  (SQLite alone, measured locally: ${last.rollupCost.msPerStatement.toFixed(3)} ms per rollup statement, ~${Math.floor(local).toLocaleString("en")} statements/s: D1's per-query overhead, not SQLite, sets the limit)`,
  );
}
