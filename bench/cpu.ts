/**
 * `npm run bench:cpu`: CPU time per request of each process, for the bare
 * pass-through and the gateway's warm path, read from /proc while wrk loads
 * each in turn. Throughput on a shared 2-CPU machine is noisy; CPU time per
 * request says where the cost is: in workerd (the isolate and the runtime
 * around it), in the origin, or in Miniflare's Node process (which receives
 * the log lines). Linux only. LOG_REQUESTS=false measures without the logs.
 */
import { execSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { startFastOrigin } from "./origin.ts";
import { bundleGateway, startGateway, startPassthrough } from "./workers.ts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TICK_US = 1_000_000 / Number(execSync("getconf CLK_TCK").toString());

/** utime + stime of a process, in clock ticks. */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

const workerdPids = () =>
  new Set(
    execSync("ps -e -o pid=,comm=")
      .toString()
      .trim()
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter(([, command]) => command === "workerd")
      .map(([pid]) => Number(pid)),
  );

/** Starts a server and returns it with the workerd processes it added. */
async function withPids<T>(start: () => Promise<T>): Promise<{ server: T; pids: number[] }> {
  const before = workerdPids();
  const server = await start();
  return { server, pids: [...workerdPids()].filter((pid) => !before.has(pid)) };
}

const wrk = (url: string, header?: string) =>
  new Promise<number>((resolve) => {
    const child = spawn("wrk", ["-t1", "-c16", "-d4s", ...(header ? ["-H", header] : []), url]);
    let out = "";
    child.stdout.on("data", (data: Buffer) => {
      out += data.toString();
    });
    child.on("close", () => resolve(Number(out.match(/(\d+) requests in/)?.[1] ?? 0)));
  });

const origin = await startFastOrigin();
const bare = await withPids(() => startPassthrough(origin.url));
const gateway = await withPids(() =>
  startGateway({
    scriptPath: bundleGateway(),
    upstreamUrl: origin.url,
    adminToken: "bench-admin-token",
    vars: { LOG_REQUESTS: process.env.LOG_REQUESTS ?? "true" },
  }),
);
try {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${gateway.server.url}/admin${path}`, {
      method: "POST",
      headers: { Authorization: "Bearer bench-admin-token", "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    return ((await response.json()) as { data: { id: string; key: string } }).data;
  };
  const account = await post("/accounts", { name: "Bench" });
  const { key } = await post(`/accounts/${account.id}/keys`, {
    name: "bench",
    rateLimit: { limit: 1_000_000, windowSeconds: 60 },
  });

  const originPid = origin.process.pid as number;
  console.log(`CPU µs per request (wrk, 16 connections, 4 s per run, ${ROUNDS} rounds)`);
  for (let round = 1; round <= ROUNDS; round++) {
    const targets = [
      ["A bare pass-through", bare.server.url, undefined, bare.pids],
      ["B gateway warm path", gateway.server.url, `X-API-Key: ${key}`, gateway.pids],
    ] as const;
    for (const [name, url, header, pids] of targets) {
      const workerd0 = pids.reduce((n, pid) => n + cpuTicks(pid), 0);
      const origin0 = cpuTicks(originPid);
      const node0 = process.cpuUsage();
      const requests = await wrk(`${url}/v1/domains`, header);
      const workerd = pids.reduce((n, pid) => n + cpuTicks(pid), 0) - workerd0;
      const originTicks = cpuTicks(originPid) - origin0;
      const node = process.cpuUsage(node0);
      const per = (us: number) => (us / requests).toFixed(0).padStart(5);
      console.log(
        `${name} #${round}  ${String(Math.round(requests / 4)).padStart(6)} req/s  workerd ${per(workerd * TICK_US)}  origin ${per(originTicks * TICK_US)}  miniflare (node) ${per(node.user + node.system)}`,
      );
    }
  }
} finally {
  await bare.server.mf.dispose();
  await gateway.server.mf.dispose();
  origin.process.kill();
}
