/**
 * A real local stack for end-to-end tests: the demo origin
 * (examples/origin/server.ts) in this process, and the gateway under
 * `wrangler dev` as a child process, each on a random free port, with a
 * fresh local D1/KV/Durable Object state in a temporary directory (migrated
 * with `wrangler d1 migrations apply DB --local`). `stop()` kills the whole
 * wrangler process group and removes the state; it runs on failure too, and
 * when this process exits.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createDemoOrigin } from "../../../examples/origin/server.ts";

const WRANGLER = fileURLToPath(new URL("../../../node_modules/wrangler/bin/wrangler.js", import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const childEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };

export interface Stack {
  /** The gateway's base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  adminToken: string;
  /** An admin API call with the stack's token; answers the parsed `data`, or throws. */
  admin<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function listen(server: Server | ReturnType<typeof createDemoOrigin>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as { port: number }).port;
}

/** Kills a detached child and everything it started (npx/node → workerd). */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${output()}`);
    try {
      const response = await fetch(`${url}/dashboard/login`, { signal: AbortSignal.timeout(2_000) });
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler dev did not answer within ${READY_TIMEOUT_MS} ms:\n${output()}`);
}

/** Starts the demo origin and the gateway; resolves once the gateway answers. */
export async function startStack(): Promise<Stack> {
  const state = await mkdtemp(join(tmpdir(), "momail-e2e-"));
  const demo = createDemoOrigin();
  const demoPort = await listen(demo);
  const adminToken = randomBytes(24).toString("hex");
  let child: ChildProcess | undefined;
  let log = "";
  const kill = () => child && killGroup(child, "SIGKILL");

  const stop = async () => {
    process.off("exit", kill);
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once("exit", resolve));
      killGroup(child, "SIGTERM");
      const timer = setTimeout(() => child && killGroup(child, "SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    demo.closeAllConnections();
    await new Promise((resolve) => demo.close(resolve));
    await rm(state, { recursive: true, force: true });
  };

  try {
    await promisify(execFile)(
      process.execPath,
      [WRANGLER, "d1", "migrations", "apply", "DB", "--local", "--persist-to", state],
      { env: { ...childEnv, CI: "true" }, timeout: 60_000 },
    );
    const port = await freePort();
    const inspectorPort = await freePort();
    const args = ["dev", "--port", String(port), "--ip", "127.0.0.1", "--inspector-port", String(inspectorPort)];
    args.push("--persist-to", state, "--var", `ADMIN_TOKEN:${adminToken}`);
    args.push("--var", `UPSTREAM_URL:http://127.0.0.1:${demoPort}`, "--show-interactive-dev-session=false");
    child = spawn(process.execPath, [WRANGLER, ...args], { env: childEnv, detached: true, stdio: "pipe" });
    process.once("exit", kill);
    child.stdout?.on("data", (chunk) => (log += chunk));
    child.stderr?.on("data", (chunk) => (log += chunk));
    const url = `http://127.0.0.1:${port}`;
    await waitUntilReady(url, child, () => log);

    async function admin<T>(method: string, path: string, body?: unknown): Promise<T> {
      const response = await fetch(`${url}/admin${path}`, {
        method,
        headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await response.json()) as { success: boolean; data: T };
      if (!json.success) throw new Error(`admin ${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
      return json.data;
    }
    return { url, adminToken, admin, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
