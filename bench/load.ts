/**
 * The load generator: wrk (Debian's package) when it is installed, else
 * autocannon (npm). Same connections and duration for every target; loopback
 * only. A run sends either fixed headers (one key) or, per request, a key
 * picked at random from a file (bench/wrk.lua; autocannon's setupRequest).
 * Returns requests/s and the p50/p90/p99/p99.9 latencies in milliseconds.
 */
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import autocannon from "autocannon";

export interface LoadResult {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  requests: number;
  non2xx: number;
}

export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  /** GET unless given; with `body`, every request sends it. */
  method?: string;
  body?: string;
  /** A file of API keys, one per line: each request sends one at random in X-API-Key. */
  keysFile?: string;
  connections: number;
  /** Load-generator threads (wrk only; default BENCH_WRK_THREADS or 2, never more than connections). */
  threads?: number;
  seconds: number;
}

export const hasWrk = () => spawnSync("wrk", ["--version"]).error === undefined;

const WRK_SCRIPT = new URL("./wrk.lua", import.meta.url).pathname;

async function runWrk(options: LoadOptions): Promise<LoadResult> {
  const threads = Math.min(options.connections, options.threads ?? Number(process.env.BENCH_WRK_THREADS ?? 2));
  const args = ["-t", String(threads), "-c", String(options.connections), "-d", `${options.seconds}s`];
  args.push("-s", WRK_SCRIPT);
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push("-H", `${name}: ${value}`);
  // Asynchronously: the event loop must keep serving Miniflare meanwhile.
  const child = spawn("wrk", [...args, options.url], {
    env: {
      ...process.env,
      BENCH_KEYS_FILE: options.keysFile ?? "",
      BENCH_METHOD: options.method ?? "",
      BENCH_BODY: options.body ?? "",
    },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  await new Promise((resolve) => child.on("close", resolve));
  const line = stdout.match(/BENCH_LATENCY_US (.*)/)?.[1];
  if (!line) throw new Error(`wrk printed no latency line:\n${stdout}\n${stderr}`);
  const us = (name: string) => Number(line.match(new RegExp(`${name}=(\\d+)`))?.[1] ?? Number.NaN);
  return {
    rps: Number(stdout.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? Number.NaN),
    p50: us("p50") / 1000,
    p90: us("p90") / 1000,
    p99: us("p99") / 1000,
    p999: us("p999") / 1000,
    max: us("max") / 1000,
    requests: us("requests"),
    non2xx: Number(stdout.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0),
  };
}

async function runAutocannon(options: LoadOptions): Promise<LoadResult> {
  const keys = options.keysFile ? readFileSync(options.keysFile, "utf8").split("\n").filter(Boolean) : [];
  const result = await autocannon({
    url: options.url,
    headers: options.headers,
    ...(options.method && { method: options.method as autocannon.Request["method"] }),
    ...(options.body !== undefined && { body: options.body }),
    connections: options.connections,
    duration: options.seconds,
    ...(keys.length > 0 && {
      requests: [
        {
          setupRequest: (request) => ({
            ...request,
            headers: { ...request.headers, "x-api-key": keys[Math.floor(Math.random() * keys.length)] as string },
          }),
        },
      ],
    }),
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    p999: result.latency.p99_9,
    max: result.latency.max,
    requests: result.requests.total,
    non2xx: result.non2xx,
  };
}

/** Loads `url` for `seconds` with the best available tool. */
export function load(options: LoadOptions): Promise<LoadResult> {
  return hasWrk() ? runWrk(options) : runAutocannon(options);
}
