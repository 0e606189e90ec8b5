/**
 * The two Workers under test, on workerd through Miniflare's API (not
 * `wrangler dev`, whose own proxy caps throughput): the bare pass-through,
 * and the gateway as `wrangler deploy` bundles it, with local D1 (migrations
 * applied), KV and the Durable Object.
 *
 * The gateway's stdout (its JSON request logs) goes to a file, read after
 * each run to count its storage operations. Miniflare would otherwise pipe
 * every line into this Node process and parse it as JSON there, on the same
 * CPUs as the load: about 25 µs per request that no deployment pays (Workers
 * Logs collects log lines off the request path).
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  fstatSync,
  mkdirSync,
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

const COMPATIBILITY_DATE = "2026-08-01";

/** Miniflare from its v4-style single-worker options (still the simplest to write). */
const miniflare = (options: V4MiniflareOptions) =>
  new Miniflare(convertV4MiniflareOptions({ logRequests: false, ...options }));

export interface OpsCount {
  requests: number;
  kvReads: number;
  d1Queries: number;
  objectCalls: number;
}

/** Bundles the gateway exactly as a deploy would (or unminified, for profiles), into bench/.out/. */
export function bundleGateway(minify = true): string {
  const outdir = minify ? "bench/.out/gateway" : "bench/.out/gateway-unminified";
  const result = spawnSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir, `--minify=${minify}`], {
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
  });
  if (result.status !== 0) throw new Error(`bundling failed:\n${result.stderr}`);
  return `${outdir}/index.js`;
}

export async function startPassthrough(upstreamUrl: string): Promise<{ mf: Miniflare; url: string }> {
  const mf = miniflare({
    modules: true,
    scriptPath: "bench/passthrough.js",
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: { UPSTREAM_URL: upstreamUrl },
    host: "127.0.0.1",
    port: 0,
  });
  return { mf, url: (await mf.ready).toString().replace(/\/$/, "") };
}

/** Applies the drizzle-kit migrations to the D1 database bound as DB. */
export async function applyMigrations(mf: Miniflare): Promise<void> {
  const db = await mf.getD1Database("DB");
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

let gateways = 0;

export async function startGateway(
  scriptPath: string,
  upstreamUrl: string,
  adminToken: string,
  vars: Record<string, string> = {},
) {
  const logFile = resolve(`bench/.out/gateway-${process.pid}-${++gateways}.log`);
  writeFileSync(logFile, "");
  process.once("exit", () => rmSync(logFile, { force: true }));
  let logOffset = 0;
  const previousWorkerd = process.env.MINIFLARE_WORKERD_PATH;
  const launcher = workerdLoggingTo(logFile);
  process.env.MINIFLARE_WORKERD_PATH = launcher;
  const mf = miniflare({
    modules: true,
    scriptPath,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: {
      ENVIRONMENT: "development",
      UPSTREAM_URL: upstreamUrl,
      ADMIN_TOKEN: adminToken,
      ...vars,
      KEY_PEPPER: "dev-only-key-pepper-not-for-production",
      KEY_PREFIX_SECRET: "dev-only-key-prefix-secret-not-for-production",
      ORIGIN_SIGNING_SECRET: "dev-only-origin-signing-secret",
    },
    d1Databases: { DB: "bench-db" },
    kvNamespaces: { KEYS_CACHE: "bench-kv" },
    durableObjects: { RATE_LIMITER: { className: "KeyLimiter", useSQLite: true } },
    host: "127.0.0.1",
    port: 0,
  });
  const url = (
    await mf.ready.finally(() => {
      restoreEnv("MINIFLARE_WORKERD_PATH", previousWorkerd);
      rmSync(launcher, { force: true });
    })
  )
    .toString()
    .replace(/\/$/, "");
  await applyMigrations(mf);
  /** The storage operations logged since the last call, from the gateway's request lines. */
  function takeOps(): OpsCount {
    const ops: OpsCount = { requests: 0, kvReads: 0, d1Queries: 0, objectCalls: 0 };
    const fd = openSync(logFile, "r");
    const fresh = Buffer.alloc(fstatSync(fd).size - logOffset);
    readSync(fd, fresh, 0, fresh.length, logOffset);
    closeSync(fd);
    const end = fresh.lastIndexOf("\n") + 1;
    logOffset += end;
    const lines = fresh.subarray(0, end).toString("utf8").split("\n");
    for (const line of lines) {
      // workerd's structured log lines: {"timestamp":…,"level":"log","message":"<the gateway's JSON line>"}.
      const message = line ? (JSON.parse(line) as { message?: string }).message : undefined;
      if (!message?.startsWith('{"type":"request"')) continue;
      const entry = JSON.parse(message) as OpsCount & { route: string };
      if (!entry.route.startsWith("/v1/")) continue;
      ops.requests++;
      ops.kvReads += entry.kvReads;
      ops.d1Queries += entry.d1Queries;
      ops.objectCalls += entry.objectCalls;
    }
    return ops;
  }
  return { mf, url, takeOps };
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
