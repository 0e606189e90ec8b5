/**
 * `npm run bench:profile`: a CPU profile of the gateway's warm path, taken
 * through workerd's inspector while wrk loads it, summed by function (self
 * time) so the hot path's cost can be read directly.
 */
import { spawn } from "node:child_process";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { startFastOrigin } from "./origin.ts";
import { applyMigrations, BENCH_SECRETS, bundleGateway } from "./workers.ts";

const INSPECTOR_PORT = 9331;
const origin = await startFastOrigin();
const mf = new Miniflare(
  convertV4MiniflareOptions({
    logRequests: false,
    inspectorPort: INSPECTOR_PORT,
    modules: true,
    // PROFILE_TARGET=bare profiles the bare pass-through instead, for comparison.
    scriptPath: process.env.PROFILE_TARGET === "bare" ? "bench/passthrough.js" : bundleGateway(false),
    compatibilityDate: "2026-08-01",
    bindings: {
      ENVIRONMENT: "development",
      UPSTREAM_URL: origin.url,
      ADMIN_TOKEN: "t",
      ...BENCH_SECRETS,
      // e.g. PROFILE_VARS='{"LOG_REQUESTS":"false"}'
      ...JSON.parse(process.env.PROFILE_VARS ?? "{}"),
    },
    d1Databases: { DB: "p-db" },
    kvNamespaces: { KEYS_CACHE: "p-kv" },
    durableObjects: {
      RATE_LIMITER: { className: "AccountGate", useSQLite: true },
      BUDGET_HOLDER: { className: "BudgetHolder", useSQLite: true },
    },
    host: "127.0.0.1",
    port: 0,
    handleStructuredLogs() {},
  }),
);
const url = (await mf.ready).toString().replace(/\/$/, "");
await applyMigrations(mf);
const post = async (path: string, body: unknown) =>
  (
    (await (
      await fetch(`${url}/admin${path}`, {
        method: "POST",
        headers: { Authorization: "Bearer t", "Content-Type": "application/json" },
        body: JSON.stringify(body),
      })
    ).json()) as { data: { id: string; key: string } }
  ).data;
const account = await post("/accounts", { name: "p" });
const key = await post(`/accounts/${account.id}/keys`, {
  name: "p",
  rateLimit: { limit: 1_000_000, windowSeconds: 60 },
});
const path = process.env.PROFILE_KEY === "junk" ? `${key.key.slice(0, 30)}AAAAAA` : key.key;

const wrk = (seconds: number) =>
  new Promise((resolve) =>
    spawn("wrk", ["-t2", "-c32", `-d${seconds}s`, "-H", `X-API-Key: ${path}`, `${url}/v1/domains`]).on(
      "close",
      resolve,
    ),
  );
await wrk(2);

const targets = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json()) as Array<{
  id: string;
  title: string;
  webSocketDebuggerUrl: string;
}>;
const target = targets.find((t) => !t.title.includes("loopback") && !t.title.includes("miniflare")) ?? targets[0];
const ws = new WebSocket(target?.webSocketDebuggerUrl ?? "");
await new Promise((resolve) => ws.addEventListener("open", resolve));
let id = 0;
const pending = new Map<number, (value: unknown) => void>();
ws.addEventListener("message", (event) => {
  const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
  if (message.id !== undefined) pending.get(message.id)?.(message.result);
});
const send = (method: string, params: Record<string, unknown> = {}) =>
  new Promise<unknown>((resolve) => {
    pending.set(++id, resolve);
    ws.send(JSON.stringify({ id, method, params }));
  });
await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 100 });
await send("Profiler.start");
const served = await new Promise<number>((resolve) => {
  const child = spawn("wrk", ["-t2", "-c32", "-d4s", "-H", `X-API-Key: ${path}`, `${url}/v1/domains`]);
  let out = "";
  child.stdout.on("data", (d: Buffer) => {
    out += d.toString();
  });
  child.on("close", () => resolve(Number(out.match(/(\d+) requests in/)?.[1] ?? 0)));
});
const { profile } = (await send("Profiler.stop")) as {
  profile: {
    nodes: Array<{
      id: number;
      hitCount: number;
      callFrame: { functionName: string; url: string; lineNumber: number };
    }>;
  };
};
const self = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  const frame = node.callFrame;
  const name = `${frame.functionName || "(anonymous)"} ${frame.url.split("/").pop()}:${frame.lineNumber}`;
  self.set(name, (self.get(name) ?? 0) + node.hitCount);
  total += node.hitCount;
}
const idle = [...self.entries()].filter(([name]) => name.startsWith("(idle)")).reduce((n, [, h]) => n + h, 0);
console.log(
  `profiled ${target?.title}; ${total} samples, ${served} requests; busy ${(((total - idle) / total) * 100).toFixed(1)}%, ~${(((total - idle) * 100) / served).toFixed(0)} µs of isolate time per request (100 µs samples)`,
);
for (const [name, hits] of [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
  console.log(`${((hits / total) * 100).toFixed(1).padStart(5)}%  ${name}`);
}
ws.close();
await mf.dispose();
origin.process.kill();
