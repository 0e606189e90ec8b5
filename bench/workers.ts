/**
 * The Workers under test, on workerd through Miniflare's API (not
 * `wrangler dev`, whose own proxy caps throughput): the bare pass-through,
 * and the gateway (or a bench-only entry around its modules) as
 * `wrangler deploy` bundles it, with local D1 (migrations applied), KV and
 * the account gate's Durable Object, and the compatibility flags of
 * wrangler.toml.
 *
 * Each gateway's stdout (its JSON log lines) goes to a file, read after each
 * run to count its storage operations (counts.ts). Miniflare would otherwise
 * pipe every line into this Node process and parse it as JSON there, on the
 * same CPUs as the load: about 25 µs per request that no deployment pays
 * (Workers Logs collects log lines off the request path).
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  existsSync,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { convertV4MiniflareOptions, Miniflare, type V4MiniflareOptions } from "miniflare";
import { type LogCounts, parseLog } from "./counts.ts";

export const COMPATIBILITY_DATE = "2026-08-01";
/** As wrangler.toml: request.signal tells an idempotent request that its client went away. */
export const COMPATIBILITY_FLAGS: string[] = ["enable_request_signal"];

/** The bench's bindings: the development secrets, which the seeding (seed.ts) uses too. */
export const BENCH_SECRETS = {
  KEY_PEPPER: "dev-only-key-pepper-not-for-production",
  KEY_PREFIX_SECRET: "dev-only-key-prefix-secret-not-for-production",
  ORIGIN_SIGNING_SECRET: "dev-only-origin-signing-secret",
} as const;

/**
 * Where local D1, KV and Durable Object storage live. Miniflare keeps them
 * under the OS temporary directory; on a virtual disk every SQLite commit
 * there waits for fsync (creating an account's gate took ~30 ms here, 2 ms
 * on tmpfs), which no deployment has on its request path. BENCH_STORAGE=disk
 * keeps the default; otherwise (default) tmpfs when /dev/shm exists.
 */
export const STORAGE = process.env.BENCH_STORAGE === "disk" || !existsSync("/dev/shm") ? "disk" : "tmpfs";
if (STORAGE === "tmpfs") {
  const dir = mkdtempSync("/dev/shm/momail-bench-");
  process.env.TMPDIR = dir;
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
}

/** workerd processes started by this process (Miniflare's launcher execs workerd, so they are direct children). */
export function workerdChildren(): Set<number> {
  const pids = new Set<number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8").trim();
      const [, comm, rest] = stat.match(/^\d+ \((.*)\) (.*)$/) ?? [];
      if (comm === "workerd" && Number(rest?.split(" ")[1]) === process.pid) pids.add(Number(entry));
    } catch {
      // The process ended meanwhile.
    }
  }
  return pids;
}

/** CPU time (user + system) a process has used, in microseconds; 0 where /proc is not available. */
export function cpuMicros(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}
const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim() || 100);

/** Runs `start` and returns its result with the workerd process it started. */
async function withPid<T>(start: () => Promise<T>): Promise<T & { pid?: number }> {
  const before = existsSync("/proc") ? workerdChildren() : new Set<number>();
  const started = await start();
  const pid = existsSync("/proc") ? [...workerdChildren()].find((p) => !before.has(p)) : undefined;
  return { ...started, pid };
}

/** Miniflare from its v4-style single-worker options (still the simplest to write). */
export const miniflare = (options: V4MiniflareOptions) =>
  new Miniflare(convertV4MiniflareOptions({ logRequests: false, ...options }));

/**
 * Bundles a Worker exactly as a deploy would (wrangler.toml's settings), into
 * bench/.out/: the gateway by default, or a bench-only entry (bench/entries/).
 */
export function bundle(entry?: string, minify = true): string {
  const name = entry ? (entry.split("/").pop() ?? "entry").replace(/\.ts$/, "") : "gateway";
  const outdir = `bench/.out/${name}${minify ? "" : "-unminified"}`;
  const args = ["wrangler", "deploy", ...(entry ? [entry] : []), "--dry-run", "--outdir", outdir, `--minify=${minify}`];
  const result = spawnSync("npx", args, {
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  if (result.status !== 0) throw new Error(`bundling ${name} failed:\n${result.stderr}`);
  return `${outdir}/${entry ? name : "index"}.js`;
}

/** The gateway as deployed (kept for bench:cpu and bench:profile). */
export const bundleGateway = (minify = true) => bundle(undefined, minify);

/** The bare pass-through worker, its workerd's pid, and its stdout (V8's --trace-gc lines, for bench:tail). */
export function startPassthrough(upstreamUrl: string) {
  return withPid(() =>
    launchLogging("bare", {
      modules: true,
      scriptPath: "bench/passthrough.js",
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: { UPSTREAM_URL: upstreamUrl },
      host: "127.0.0.1",
      port: 0,
    }),
  );
}

/** Applies the drizzle-kit migrations to the D1 database bound as DB. */
export async function applyMigrations(mf: Miniflare, workerName?: string): Promise<void> {
  const db = await mf.getD1Database("DB", workerName);
  for (const file of readdirSync("drizzle")
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    for (const statement of readFileSync(`drizzle/${file}`, "utf8").split("--> statement-breakpoint")) {
      if (statement.trim()) await db.prepare(statement).run();
    }
  }
}

/**
 * A workerd launcher (Miniflare's MINIFLARE_WORKERD_PATH) that appends
 * workerd's stdout to `logFile`; stderr and the control pipe are untouched.
 */
function workerdLoggingTo(logFile: string): string {
  const workerd = createRequire(import.meta.url)("workerd").default as string;
  mkdirSync("bench/.out", { recursive: true });
  const launcher = resolve(`${logFile}.workerd.sh`);
  writeFileSync(launcher, `#!/bin/sh\nexec '${workerd}' "$@" >> '${logFile}'\n`);
  chmodSync(launcher, 0o755);
  return launcher;
}

export interface GatewayOptions {
  /** The bundled script (bundle()). */
  scriptPath: string;
  upstreamUrl: string;
  adminToken?: string;
  vars?: Record<string, string>;
  /** Enables workerd's inspector on this port (bench:memory reads the isolate's heap through it). */
  inspectorPort?: number;
}

export type Gateway = Awaited<ReturnType<typeof startGateway>>;

/** Starts a gateway on workerd, its migrations applied, its log lines appended to a file. */
export function startGateway(options: GatewayOptions) {
  return withPid(async () => {
    const gateway = await launchLogging("gateway", {
      modules: true,
      scriptPath: options.scriptPath,
      compatibilityDate: COMPATIBILITY_DATE,
      compatibilityFlags: COMPATIBILITY_FLAGS,
      bindings: {
        ENVIRONMENT: "development",
        UPSTREAM_URL: options.upstreamUrl,
        ADMIN_TOKEN: options.adminToken ?? "bench-admin-token",
        ...options.vars,
        ...BENCH_SECRETS,
      },
      d1Databases: { DB: "bench-db" },
      kvNamespaces: { KEYS_CACHE: "bench-kv" },
      // One isolate with the account's gate next door: requests say no location (Miniflare's default `cf`
      // names one), so the isolate asks the gate itself, as it does on the edge for a near gate
      // (src/gate/distance.ts). Locations and distant gates are the edge section's (edge.ts).
      cf: { country: "US" },
      durableObjects: {
        RATE_LIMITER: { className: "AccountGate", useSQLite: true },
        BUDGET_HOLDER: { className: "BudgetHolder", useSQLite: true },
      },
      host: "127.0.0.1",
      port: 0,
      ...(options.inspectorPort !== undefined && { inspectorPort: options.inspectorPort }),
    });
    await applyMigrations(gateway.mf);
    return gateway;
  });
}

let logs = 0;

/** Starts a Worker (or several: `workers`) whose workerd appends its stdout to a file; returns it with readers of that file. */
export async function launchLogging(name: string, options: V4MiniflareOptions) {
  const logFile = resolve(`bench/.out/${name}-${process.pid}-${++logs}.log`);
  writeFileSync(logFile, "");
  process.once("exit", () => rmSync(logFile, { force: true }));
  let logOffset = 0;
  const previousWorkerd = process.env.MINIFLARE_WORKERD_PATH;
  const launcher = workerdLoggingTo(logFile);
  process.env.MINIFLARE_WORKERD_PATH = launcher;
  const mf = miniflare(options);
  const url = (
    await mf.ready.finally(() => {
      restoreEnv("MINIFLARE_WORKERD_PATH", previousWorkerd);
      rmSync(launcher, { force: true });
    })
  )
    .toString()
    .replace(/\/$/, "");

  /** The complete lines written since the last call. */
  function takeLines(): string[] {
    const fd = openSync(logFile, "r");
    const fresh = Buffer.alloc(fstatSync(fd).size - logOffset);
    readSync(fd, fresh, 0, fresh.length, logOffset);
    closeSync(fd);
    const end = fresh.lastIndexOf("\n") + 1;
    logOffset += end;
    return fresh.subarray(0, end).toString("utf8").split("\n");
  }
  /** What the gateway logged since the last call: requests, their storage operations, background and gate work. */
  function takeCounts(): LogCounts {
    return parseLog(takeLines());
  }
  return { mf, url, logFile, takeLines, takeCounts };
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
