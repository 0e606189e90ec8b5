/**
 * The local stack as code: the demo origin, local D1 migrations, the gateway
 * under `wrangler dev`, and the idempotent demo seed (through the admin API,
 * the same code an operator uses). `npm start` (scripts/start.ts) and the
 * end-to-end tests run it the same way.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

const ENV = { ...process.env, WRANGLER_SEND_METRICS: "false" };

export interface Stack {
  gatewayUrl: string;
  originUrl: string;
  children: ChildProcess[];
  stop: () => void;
}

/** Spawns a child in its own process group, so stopping it stops its children too (wrangler → workerd). */
function start(command: string, args: string[], env: NodeJS.ProcessEnv, quiet: boolean): ChildProcess {
  return spawn(command, args, { env, detached: true, stdio: quiet ? "ignore" : ["ignore", "inherit", "inherit"] });
}

function stopAll(children: ChildProcess[]): void {
  for (const child of children) {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // Already gone.
      }
    }
  }
}

/** Applies drizzle/ migrations to the local D1 database (idempotent). */
export function applyLocalMigrations(persistTo?: string): void {
  const args = [
    "wrangler",
    "d1",
    "migrations",
    "apply",
    "DB",
    "--local",
    ...(persistTo ? ["--persist-to", persistTo] : []),
  ];
  const result = spawnSync("npx", args, { env: { ...ENV, CI: "true" }, stdio: "pipe", encoding: "utf8" });
  if (result.status !== 0) throw new Error(`D1 migrations failed:\n${result.stdout}\n${result.stderr}`);
}

/** Polls `url` until it answers at all, or throws after `timeoutMs`. */
export async function waitUntilUp(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms`);
}

export interface StackOptions {
  port: number;
  originPort: number;
  adminToken: string;
  persistTo?: string;
  /** Don't pass the children's output through. */
  quiet?: boolean;
}

/** Starts the demo origin and the gateway under wrangler dev, migrations applied; resolves once both answer. */
export async function startStack(options: StackOptions): Promise<Stack> {
  if (!existsSync("dist/verify/index.js")) spawnSync("node", ["scripts/build-verify.mjs"], { stdio: "inherit" });
  applyLocalMigrations(options.persistTo);
  const originUrl = `http://127.0.0.1:${options.originPort}`;
  const children = [
    start("node", ["examples/origin/server.ts"], { ...ENV, PORT: String(options.originPort) }, options.quiet ?? false),
    start(
      "npx",
      [
        "wrangler",
        "dev",
        "--port",
        String(options.port),
        "--ip",
        "127.0.0.1",
        "--show-interactive-dev-session=false",
        "--var",
        `ADMIN_TOKEN:${options.adminToken}`,
        "--var",
        `UPSTREAM_URL:${originUrl}`,
        ...(options.persistTo ? ["--persist-to", options.persistTo] : []),
      ],
      ENV,
      options.quiet ?? false,
    ),
  ];
  const stack = { gatewayUrl: `http://localhost:${options.port}`, originUrl, children, stop: () => stopAll(children) };
  try {
    await waitUntilUp(originUrl);
    await waitUntilUp(`${stack.gatewayUrl}/admin/openapi.json`);
  } catch (error) {
    stack.stop();
    throw error;
  }
  return stack;
}

export interface DemoSeed {
  accountId: string;
  keyId: string;
  key: string;
  email: string;
  password: string;
}

export const DEMO_EMAIL = "demo@momail.test";
export const DEMO_PASSWORD = "demo-password";

/**
 * The demo account, dashboard user and key, created once through the admin
 * API and remembered in `stateFile` (local development state, next to the
 * local D1 database). Later runs reuse them while they still exist.
 */
export async function seedDemo(gatewayUrl: string, adminToken: string, stateFile: string): Promise<DemoSeed> {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${gatewayUrl}/admin${path}`, {
      method,
      headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: response.status,
      body: (await response.json()) as { data: Record<string, unknown> & Array<Record<string, unknown>> },
    };
  };
  const saved = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, "utf8")) as DemoSeed) : null;
  if (saved) {
    const keys = await call("GET", `/accounts/${saved.accountId}/keys`);
    if (keys.status === 200 && keys.body.data.some((k) => k.id === saved.keyId)) return saved;
  }
  let accountId = saved?.accountId;
  if (!accountId || (await call("GET", `/accounts/${accountId}/keys`)).status !== 200) {
    const account = await call("POST", "/accounts", {
      name: "Demo account",
      rateLimit: { limit: 100, windowSeconds: 60 },
    });
    accountId = account.body.data.id as string;
  }
  await call("POST", `/accounts/${accountId}/users`, { email: DEMO_EMAIL, password: DEMO_PASSWORD });
  const key = await call("POST", `/accounts/${accountId}/keys`, { name: "Demo key" });
  if (key.status !== 201) throw new Error(`Could not create the demo key: ${JSON.stringify(key.body)}`);
  const seed: DemoSeed = {
    accountId,
    keyId: key.body.data.id as string,
    key: key.body.data.key as string,
    email: DEMO_EMAIL,
    password: DEMO_PASSWORD,
  };
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, `${JSON.stringify(seed, null, 2)}\n`, { mode: 0o600 });
  return seed;
}
