/**
 * A real local stack for end-to-end tests: the demo origin
 * (examples/origin/server.ts) in this process, also a webhook receiver at
 * `{originUrl}/webhooks` (it checks signatures once `webhooks.secret` is
 * set, and `GET` lists what it received), and the gateway under
 * `wrangler dev` (scripts/local-stack.ts), each on a free port, with fresh
 * local D1/KV/Durable Object state in a temporary directory. `stop()` stops
 * wrangler's whole process group and removes the state.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDemoOrigin, type WebhookInbox } from "../../../examples/origin/server.ts";
import { applyLocalMigrations, freePort, type GatewayProcess, startGateway } from "../../../scripts/local-stack.ts";

export interface Stack {
  /** The gateway's base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  adminToken: string;
  /** The demo origin's base URL; its webhook receiver is `{originUrl}/webhooks`. */
  originUrl: string;
  /** The receiver's inbox: set `secret` to the account's webhook secret to have it verify signatures. */
  webhooks: WebhookInbox;
  /** An admin API call with the stack's token; answers the parsed `data`, or throws. */
  admin<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** Starts the demo origin and the gateway (with `vars` as more `--var`s); resolves once the gateway answers. */
export async function startStack(vars: Record<string, string> = {}): Promise<Stack> {
  const state = await mkdtemp(join(tmpdir(), "momail-e2e-"));
  // The demo origin refuses the dev default secret: this stack's gateway and origin share a fresh one.
  const originSigningSecret = randomBytes(32).toString("hex");
  const webhooks: WebhookInbox = {};
  const demo = createDemoOrigin({ secret: originSigningSecret, webhooks });
  await new Promise<void>((resolve) => demo.listen(0, "127.0.0.1", resolve));
  const adminToken = randomBytes(24).toString("hex");
  let gateway: GatewayProcess | undefined;

  const stop = async () => {
    await gateway?.stop();
    demo.closeAllConnections();
    await new Promise((resolve) => demo.close(resolve));
    await rm(state, { recursive: true, force: true });
  };

  try {
    await applyLocalMigrations(state);
    const upstreamUrl = `http://127.0.0.1:${(demo.address() as AddressInfo).port}`;
    gateway = await startGateway({
      port: await freePort(),
      adminToken,
      upstreamUrl,
      originSigningSecret,
      persistTo: state,
      vars,
    });
    const url = gateway.url;
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
    return { url, adminToken, originUrl: upstreamUrl, webhooks, admin, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
