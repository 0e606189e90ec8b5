/**
 * `npm run bench`: the gateway's cost, measured against the platform's floor,
 * on one runtime (workerd via Miniflare), one origin and one load generator.
 *
 *   A  bare pass-through worker (fetch the origin, return the response)
 *   B  the gateway, warm path (valid key, limit far away, caches warm), as
 *      deployed: one JSON log line per request
 *   B' the same with LOG_REQUESTS=false: local workerd writes every log line
 *      to stdout at once (a syscall, then Miniflare parses it, on the same
 *      CPUs), which a deployed Worker does not; B' bounds that local cost
 *   C  the gateway refusing junk keys (bad checksum)
 *   D  the gateway refusing forged well-formed keys (valid checksum, never issued)
 *   E  nginx with a static key check and limit_req (reference, if installed)
 *
 * A, B and B' are interleaved (A B B' A B B' …) for BENCH_ROUNDS rounds
 * (default 8) of BENCH_SECONDS (default 4) with 32 connections. The last line
 * is `throughput ratio: X`, X = median over the rounds of B's requests/s ÷ A's.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { checksum, formatKey } from "../src/keys/format.ts";
import { BASE62, LOWER_ALNUM, randomString } from "../src/keys/random.ts";
import { hasWrk, type LoadResult, load } from "./load.ts";
import { hasNginx, startNginx } from "./nginx.ts";
import { startFastOrigin } from "./origin.ts";
import { bundleGateway, type OpsCount, startGateway, startPassthrough } from "./workers.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = 32;
const ADMIN_TOKEN = "bench-admin-token";
const PATH = "/v1/domains";

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const fmt = (n: number, digits = 0) => n.toFixed(digits).padStart(8);

interface Run extends LoadResult {
  scenario: string;
  ops?: OpsCount;
}

const runs: Run[] = [];

function perRequest(ops: OpsCount[]): string {
  const requests = ops.reduce((n, o) => n + o.requests, 0);
  if (requests === 0) return "";
  const per = (field: keyof OpsCount) => (ops.reduce((n, o) => n + o[field], 0) / requests).toFixed(3);
  return `  per request: kv ${per("kvReads")}  d1 ${per("d1Queries")}  do ${per("objectCalls")}`;
}

function report(scenario: string, result: LoadResult, ops?: OpsCount) {
  runs.push({ scenario, ...result, ops });
  const line = `${scenario.padEnd(30)} ${fmt(result.rps)} req/s  p50 ${fmt(result.p50, 2)} ms  p99 ${fmt(result.p99, 2)} ms`;
  console.log(line + (ops ? perRequest([ops]) : ""));
}

/** A fresh account and a key whose limit is far out of reach, on one gateway. */
async function benchKey(url: string): Promise<string> {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${url}/admin${path}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${ADMIN_TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    return ((await response.json()) as { data: { id: string; key: string } }).data;
  };
  const account = await post("/accounts", { name: "Bench" });
  return (
    await post(`/accounts/${account.id}/keys`, { name: "bench", rateLimit: { limit: 1_000_000, windowSeconds: 60 } })
  ).key;
}

const target = (base: string, apiKey?: string) => ({
  url: base + PATH,
  headers: apiKey ? { "X-API-Key": apiKey } : undefined,
  connections: CONNECTIONS,
});

const origin = await startFastOrigin();
const script = bundleGateway();
const bare = await startPassthrough(origin.url);
const gateway = await startGateway(script, origin.url, ADMIN_TOKEN);
const quiet = await startGateway(script, origin.url, ADMIN_TOKEN, { LOG_REQUESTS: "false" });
let nginx: Awaited<ReturnType<typeof startNginx>> | undefined;

try {
  const key = await benchKey(gateway.url);
  const quietKey = await benchKey(quiet.url);
  // Well-formed (valid checksum) but never issued: its prefix is not the MAC of its secret.
  const unknown = formatKey(randomString(LOWER_ALNUM, 8), randomString(BASE62, 18));
  const junk = `${unknown.slice(0, 30)}${checksum("not this one")}`;
  const cpu = cpus()[0]?.model ?? "?";
  console.log(
    `MoMail gateway benchmark: ${new Date().toISOString()}, ${cpus().length} CPUs (${cpu}), Node ${process.version}`,
  );
  const tool = hasWrk() ? "wrk" : "autocannon";
  console.log(`load: ${tool}, ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} interleaved rounds\n`);

  // Warm every target up (JIT, caches, the key's object) before anything is measured.
  await load({ ...target(bare.url), seconds: 2 });
  await load({ ...target(gateway.url, key), seconds: 2 });
  await load({ ...target(quiet.url, quietKey), seconds: 2 });
  gateway.takeOps();

  const ratios: number[] = [];
  const quietRatios: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const a = await load({ ...target(bare.url), seconds: SECONDS });
    report(`A bare pass-through #${round}`, a);
    const b = await load({ ...target(gateway.url, key), seconds: SECONDS });
    report(`B gateway warm path #${round}`, b, gateway.takeOps());
    const q = await load({ ...target(quiet.url, quietKey), seconds: SECONDS });
    report(`B' gateway, logs off #${round}`, q);
    if (b.non2xx > 0 || q.non2xx > 0) throw new Error("the warm path answered non-2xx responses");
    ratios.push(b.rps / a.rps);
    quietRatios.push(q.rps / a.rps);
  }
  const extraRounds = Math.max(2, Math.ceil(ROUNDS / 4));
  for (let round = 1; round <= extraRounds; round++) {
    report(
      `C junk key (checksum) #${round}`,
      await load({ ...target(gateway.url, junk), seconds: SECONDS }),
      gateway.takeOps(),
    );
    report(
      `D forged key #${round}`,
      await load({ ...target(gateway.url, unknown), seconds: SECONDS }),
      gateway.takeOps(),
    );
  }
  if (hasNginx()) {
    nginx = await startNginx(origin.url, key, 18_000 + Math.floor(Math.random() * 1000));
    for (let round = 1; round <= extraRounds; round++) {
      report(`E nginx key check #${round}`, await load({ ...target(nginx.url, key), seconds: SECONDS }));
    }
  }

  console.log("\nmedians");
  for (const scenario of ["A bare", "B gateway", "B' gateway", "C junk", "D forged", "E nginx"]) {
    const of = runs.filter((r) => r.scenario.startsWith(scenario));
    if (of.length === 0) continue;
    const name = (of[0] as Run).scenario.replace(/ #\d+$/, "");
    const rps = median(of.map((r) => r.rps));
    const p50 = median(of.map((r) => r.p50));
    const p99 = median(of.map((r) => r.p99));
    const ops = of.map((r) => r.ops).filter((o): o is OpsCount => o !== undefined);
    console.log(`${name.padEnd(26)} ${fmt(rps)} req/s  p50 ${fmt(p50, 2)} ms  p99 ${fmt(p99, 2)} ms${perRequest(ops)}`);
  }
  console.log(`\npair ratios, request logs off (B'/A): ${quietRatios.map((r) => r.toFixed(3)).join(" ")}`);
  console.log(`pair ratios, as deployed (B/A):        ${ratios.map((r) => r.toFixed(3)).join(" ")}`);
  mkdirSync("bench/.out", { recursive: true });
  writeFileSync(
    "bench/.out/last.json",
    JSON.stringify({ date: new Date().toISOString(), runs, ratios, quietRatios }, null, 2),
  );
  console.log(`throughput ratio, request logs off: ${median(quietRatios).toFixed(2)}`);
  console.log(`throughput ratio: ${median(ratios).toFixed(2)}`);
} finally {
  nginx?.stop();
  await bare.mf.dispose();
  await gateway.mf.dispose();
  await quiet.mf.dispose();
  origin.process.kill();
}
