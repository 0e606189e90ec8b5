/**
 * The local stack the end-to-end tests share, started once for the e2e
 * project by global-setup.ts: the gateway under `wrangler dev`
 * (scripts/local-stack.ts) on fresh local D1/KV/Durable Object state; the
 * demo origin (examples/origin/server.ts) as its upstream, also a webhook
 * receiver at `{originUrl}/webhooks`; and the test origin
 * (test/support/origin-server.ts) behind `/v1/echo/...`, which answers with
 * the request it received, and behind SANDBOX_UPSTREAM_URL (`/sandbox/...`),
 * where test keys' requests go. Its variables are the defaults but
 * `DASHBOARD_RESOURCES=domains,messages`, that route and that sandbox. A file that needs
 * other variables starts a gateway of its own (timeout.e2e.ts).
 */
import { inject } from "vitest";
import { answers } from "../../../scripts/local-stack.ts";

/** What global-setup.ts provides to the test files. */
export interface StackInfo {
  /** The gateway's base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  adminToken: string;
  /** The demo origin's base URL; its webhook receiver is `{originUrl}/webhooks`. */
  originUrl: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    e2eStack: StackInfo;
  }
}

export interface Stack {
  url: string;
  originUrl: string;
  /** An admin API call with the stack's token; answers the parsed `data`, or throws. */
  admin<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  /** Makes the demo origin's receiver check every webhook's MoMail-Signature with `secret`. */
  setWebhookSecret(secret: string): Promise<void>;
}

/** The path where the demo origin's receiver learns its secret (global-setup.ts). */
export const INBOX_SECRET_PATH = "/__inbox/secret";

/** An admin API client for the gateway at `url`: answers the parsed `data`, or throws. */
export function adminClient(url: string, adminToken: string) {
  return async function admin<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${url}/admin${path}`, {
      method,
      headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as { success: boolean; data: T };
    if (!json.success) throw new Error(`admin ${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json.data;
  };
}

/** The shared stack, once its gateway answers (it starts while the other projects' tests run). */
export async function sharedStack(): Promise<Stack> {
  const { url, adminToken, originUrl } = inject("e2eStack");
  const deadline = Date.now() + 90_000;
  while (!(await answers(url))) {
    if (Date.now() > deadline) {
      throw new Error(`The e2e gateway never answered at ${url}: see the error its global setup printed`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    url,
    originUrl,
    admin: adminClient(url, adminToken),
    async setWebhookSecret(secret) {
      const response = await fetch(`${originUrl}${INBOX_SECRET_PATH}`, { method: "PUT", body: secret });
      if (response.status !== 204) throw new Error(`the receiver refused its secret: ${response.status}`);
    },
  };
}
