/**
 * The load generator: wrk (Debian's package) when it is installed, else
 * autocannon (npm). Same connections and duration for every target; loopback
 * only. Returns requests/s and the p50/p99 latencies in milliseconds.
 */
import { spawn, spawnSync } from "node:child_process";
import autocannon from "autocannon";

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  connections: number;
  seconds: number;
}

export const hasWrk = () => spawnSync("wrk", ["--version"]).error === undefined;

function ms(value: string, unit: string): number {
  const n = Number(value);
  return unit === "us" ? n / 1000 : unit === "s" ? n * 1000 : n;
}

async function runWrk(options: LoadOptions): Promise<LoadResult> {
  const args = [
    "-t",
    String(Number(process.env.BENCH_WRK_THREADS ?? 2)),
    "-c",
    String(options.connections),
    "-d",
    `${options.seconds}s`,
    "--latency",
  ];
  for (const [name, value] of Object.entries(options.headers ?? {})) args.push("-H", `${name}: ${value}`);
  // Asynchronously: the event loop must keep serving Miniflare meanwhile.
  const child = spawn("wrk", [...args, options.url]);
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  await new Promise((resolve) => child.on("close", resolve));
  const latency = (pct: string) => {
    const match = stdout.match(new RegExp(`^\\s+${pct}%\\s+([\\d.]+)(us|ms|s)`, "m"));
    return match ? ms(match[1] as string, match[2] as string) : Number.NaN;
  };
  const non2xx = Number(stdout.match(/Non-2xx or 3xx responses: (\d+)/)?.[1] ?? 0);
  return {
    rps: Number(stdout.match(/Requests\/sec:\s+([\d.]+)/)?.[1] ?? Number.NaN),
    p50: latency("50"),
    p99: latency("99"),
    non2xx,
  };
}

async function runAutocannon(options: LoadOptions): Promise<LoadResult> {
  const result = await autocannon({
    url: options.url,
    headers: options.headers,
    connections: options.connections,
    duration: options.seconds,
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx };
}

/** Loads `url` for `seconds` with the best available tool. */
export function load(options: LoadOptions): Promise<LoadResult> {
  return hasWrk() ? runWrk(options) : runAutocannon(options);
}
