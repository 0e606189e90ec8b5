/**
 * The local stack as code, shared by `npm start` (scripts/start.ts) and the
 * end-to-end tests (test/e2e/support/stack.ts): local D1 migrations, the
 * gateway under `wrangler dev` in its own process group (so stopping it
 * stops workerd too), free ports, the origin signing secret shared by the
 * gateway and the demo origin, and the idempotent demo seed, made through the
 * admin API (the same code an operator uses), the demo account's webhook
 * included.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const WRANGLER = fileURLToPath(new URL("../node_modules/wrangler/bin/wrangler.js", import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const childEnv = { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" };

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Signals a detached child and everything it started (node → workerd). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

/** Applies drizzle/ migrations to the local D1 database (idempotent). */
export async function applyLocalMigrations(persistTo?: string): Promise<void> {
  const args = [
    WRANGLER,
    "d1",
    "migrations",
    "apply",
    "DB",
    "--local",
    ...(persistTo ? ["--persist-to", persistTo] : []),
  ];
  await promisify(execFile)(process.execPath, args, { env: { ...childEnv, CI: "true" }, timeout: 60_000 });
}

/**
 * The origin signing secret of this checkout's local stack: random, made on
 * first use and kept in `stateDir` (local state, never committed), so the
 * gateway and the demo origin share it across restarts. The demo origin
 * refuses wrangler.toml's public dev default, so `npm start` needs a real one.
 */
export function localSigningSecret(stateDir: string): string {
  const file = `${stateDir}/origin-signing-secret`;
  if (existsSync(file)) {
    const saved = readFileSync(file, "utf8").trim();
    if (saved.length >= 32) return saved;
  }
  const secret = randomBytes(32).toString("hex");
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

export interface GatewayOptions {
  port: number;
  adminToken: string;
  upstreamUrl: string;
  /** The ORIGIN_SIGNING_SECRET to sign with (wrangler.toml's dev default if unset). */
  originSigningSecret?: string;
  /** Local D1/KV/Durable Object state; wrangler's default `.wrangler/state` if unset. */
  persistTo?: string;
  /** Pass wrangler's output through to this terminal (else it is kept for error messages). */
  showOutput?: boolean;
  /** More `--var` overrides, e.g. `{ UPSTREAM_TIMEOUT_MS: "300" }`. */
  vars?: Record<string, string>;
}

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  /** Stops wrangler and workerd: SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/** Runs the gateway under `wrangler dev`; resolves once it answers. */
export async function startGateway(options: GatewayOptions): Promise<GatewayProcess> {
  const args = ["dev", "--port", String(options.port), "--ip", "127.0.0.1", "--show-interactive-dev-session=false"];
  args.push("--inspector-port", String(await freePort()));
  args.push("--var", `ADMIN_TOKEN:${options.adminToken}`, "--var", `UPSTREAM_URL:${options.upstreamUrl}`);
  if (options.originSigningSecret) args.push("--var", `ORIGIN_SIGNING_SECRET:${options.originSigningSecret}`);
  for (const [name, value] of Object.entries(options.vars ?? {})) args.push("--var", `${name}:${value}`);
  if (options.persistTo) args.push("--persist-to", options.persistTo);
  const stdio = options.showOutput
    ? (["ignore", "inherit", "inherit"] as const)
    : (["ignore", "pipe", "pipe"] as const);
  const child = spawn(process.execPath, [WRANGLER, ...args], { env: childEnv, detached: true, stdio: [...stdio] });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const killOnExit = () => killGroup(child, "SIGKILL");
  process.once("exit", killOnExit);

  const stop = async () => {
    process.off("exit", killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    killGroup(child, "SIGTERM");
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  };

  const url = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if (await answers(url)) return { url, child, stop };
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await stop();
  throw new Error(`wrangler dev did not come up (exit code ${child.exitCode}):\n${output}`);
}

/** Whether a gateway answers at `url` (its admin API's OpenAPI document, within 2 s). */
export async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/admin/openapi.json`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false; // Not listening yet.
  }
}

export interface DemoSeed {
  accountId: string;
  keyId: string;
  key: string;
  email: string;
  password: string;
  /** Where the demo account's webhooks go, and the secret they are signed with (shown once by the admin API). */
  webhookUrl?: string;
  webhookSecret?: string;
}

export const DEMO_EMAIL = "demo@momail.test";
export const DEMO_PASSWORD = "demo-password";

/**
 * The demo account, dashboard user and key, created once through the admin
 * API and remembered in `stateFile` (local development state, next to the
 * local D1 database). Later runs reuse them while they still exist. With a
 * `webhookUrl`, the account's webhook points there (set before the key is
 * made, so its `key.created` event is the first to arrive).
 */
export async function seedDemo(
  gatewayUrl: string,
  adminToken: string,
  stateFile: string,
  webhookUrl?: string,
): Promise<DemoSeed> {
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${gatewayUrl}/admin${path}`, {
      method,
      headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as { data: Record<string, unknown> & Array<Record<string, unknown>> };
    return { status: response.status, data: json.data };
  };
  const save = (seed: DemoSeed) => {
    mkdirSync(dirname(stateFile), { recursive: true });
    writeFileSync(stateFile, `${JSON.stringify(seed, null, 2)}\n`, { mode: 0o600 });
    return seed;
  };
  /** Points the account's webhook at `webhookUrl`; the secret is shown only in this answer. */
  const setWebhook = async (accountId: string) => {
    if (!webhookUrl) return {};
    const patched = await call("PATCH", `/accounts/${accountId}`, { webhookUrl });
    if (patched.status !== 200) throw new Error(`Could not set the demo webhook: ${JSON.stringify(patched.data)}`);
    return { webhookUrl, webhookSecret: patched.data.webhookSecret as string };
  };
  const saved = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, "utf8")) as DemoSeed) : null;
  if (saved) {
    const keys = await call("GET", `/accounts/${saved.accountId}/keys`);
    // The saved key must still exist and still be accepted (a key from an older gateway version may not be).
    const check = await fetch(`${gatewayUrl}/v1/domains`, { headers: { "X-API-Key": saved.key } });
    await check.arrayBuffer();
    if (keys.status === 200 && keys.data.some((k) => k.id === saved.keyId) && check.status !== 401) {
      const current = !webhookUrl || (saved.webhookUrl === webhookUrl && saved.webhookSecret);
      return current ? saved : save({ ...saved, ...(await setWebhook(saved.accountId)) });
    }
  }
  let accountId = saved?.accountId;
  if (!accountId || (await call("GET", `/accounts/${accountId}/keys`)).status !== 200) {
    const account = await call("POST", "/accounts", {
      name: "Demo account",
      rateLimit: { limit: 100, windowSeconds: 60 },
    });
    accountId = account.data.id as string;
  }
  const webhook = await setWebhook(accountId);
  await call("POST", `/accounts/${accountId}/users`, { email: DEMO_EMAIL, password: DEMO_PASSWORD });
  const key = await call("POST", `/accounts/${accountId}/keys`, { name: "Demo key" });
  if (key.status !== 201) throw new Error(`Could not create the demo key: ${JSON.stringify(key.data)}`);
  return save({
    accountId,
    keyId: key.data.id as string,
    key: key.data.key as string,
    email: DEMO_EMAIL,
    password: DEMO_PASSWORD,
    ...webhook,
  });
}
