/**
 * The demo origin: a stand-in for MoMail's API service behind the gateway.
 * It serves a small MoMail-like `/v1/domains`, `/v1/messages` and
 * `/v1/emails`, and refuses any request whose gateway signature does not
 * verify, using the verifier the gateway ships (`momail-gateway/verify`),
 * which also says the key's mode: a test key's email is accepted and never
 * delivered (`"status": "sandboxed"`). It needs the secret
 * the gateway signs with, and has no default: started without one it exits.
 * `npm start` generates one per checkout and passes it to both.
 *
 * It is also a webhook receiver: `POST /webhooks` takes the gateway's
 * events (the demo account's webhook points here under `npm start`),
 * checks their MoMail-Signature once it knows the account's webhook secret,
 * and hands each to `onEvent` (`npm start` prints them); `GET /webhooks`
 * lists the last ones received.
 *
 *   ORIGIN_SIGNING_SECRET=… node examples/origin/server.ts    # listens on 127.0.0.1:8788
 *   PORT=9000 ORIGIN_SIGNING_SECRET=… node examples/origin/server.ts
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { createVerifier, type VerifyResult, verifyWebhook, WEBHOOK_SIGNATURE_HEADER } from "momail-gateway/verify";

type Verify = ReturnType<typeof createVerifier>;

const domains = [
  { id: "dom_1", name: "example.com", status: "verified", createdAt: "2026-01-05T10:00:00Z" },
  { id: "dom_2", name: "mail.example.org", status: "pending", createdAt: "2026-03-14T08:30:00Z" },
];

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A webhook as the demo origin received it. */
export interface ReceivedWebhook {
  id: string;
  type: string;
  accountId: string;
  receivedAt: string;
  /** "verified" with the account's webhook secret, or "unchecked" while the origin does not know it. */
  signature: "verified" | "unchecked";
}

/** Where webhooks go: the secret to check them with (set once known) and what to do with each. */
export interface WebhookInbox {
  secret?: string;
  onEvent?: (event: ReceivedWebhook) => void;
}

const KEPT_WEBHOOKS = 50;

async function receiveWebhook(
  inbox: WebhookInbox,
  received: ReceivedWebhook[],
  req: IncomingMessage,
  res: ServerResponse,
) {
  if (req.method === "GET") return send(res, 200, { success: true, data: received });
  if (req.method !== "POST")
    return send(res, 405, { success: false, error: { code: "METHOD_NOT_ALLOWED", message: "POST or GET" } });
  const body = await readBody(req);
  if (inbox.secret) {
    const check = await verifyWebhook(body, req.headers[WEBHOOK_SIGNATURE_HEADER] as string | undefined, {
      secret: inbox.secret,
    });
    if (!check.ok) {
      return send(res, 401, {
        success: false,
        error: { code: "UNAUTHORIZED", message: `Bad signature (${check.reason})` },
      });
    }
  }
  let event: { id?: unknown; type?: unknown; accountId?: unknown };
  try {
    event = JSON.parse(body.toString("utf8"));
  } catch {
    return send(res, 400, { success: false, error: { code: "BAD_REQUEST", message: "Not JSON" } });
  }
  const webhook: ReceivedWebhook = {
    id: String(event.id),
    type: String(event.type),
    accountId: String(event.accountId),
    receivedAt: new Date().toISOString(),
    signature: inbox.secret ? "verified" : "unchecked",
  };
  received.unshift(webhook);
  received.length = Math.min(received.length, KEPT_WEBHOOKS);
  inbox.onEvent?.(webhook);
  return send(res, 200, { success: true, data: { received: webhook.id } });
}

async function handle(verify: Verify, req: IncomingMessage, res: ServerResponse) {
  const body = await readBody(req);
  const result: VerifyResult = await verify({
    method: req.method ?? "GET",
    pathAndQuery: req.url ?? "/",
    header: (name) => req.headers[name] as string | undefined,
    body,
  });
  if (!result.ok) {
    return send(res, 401, {
      success: false,
      error: { code: "UNAUTHORIZED", message: `Not from the gateway (${result.reason})` },
    });
  }
  const caller = { accountId: result.accountId, keyId: result.keyId, mode: result.mode };
  const path = new URL(req.url ?? "/", "http://origin").pathname.replace(/\/$/, "");
  if (path === "/v1/domains" && req.method === "GET") return send(res, 200, { success: true, data: domains, caller });
  if (path.startsWith("/v1/domains/") && req.method === "GET") {
    const domain = domains.find((d) => d.name === decodeURIComponent(path.slice("/v1/domains/".length)));
    return domain
      ? send(res, 200, { success: true, data: domain })
      : send(res, 404, { success: false, error: { code: "NOT_FOUND", message: "No such domain" } });
  }
  if ((path === "/v1/emails" || path === "/v1/emails/batch") && req.method === "POST") {
    // A test key's email is accepted as a live one would be, and never sent.
    const status = result.mode === "test" ? "sandboxed" : "queued";
    return send(res, 202, { success: true, data: { id: `email_${Date.now()}`, status }, caller });
  }
  if (path === "/v1/messages" && req.method === "POST") {
    return send(res, 202, {
      success: true,
      data: { id: `msg_${Date.now()}`, status: "queued", bytes: body.length },
      caller,
    });
  }
  return send(res, 404, { success: false, error: { code: "NOT_FOUND", message: "Not found" } });
}

/**
 * The demo origin as an unstarted server, verifying with `secret` (the
 * gateway's ORIGIN_SIGNING_SECRET); webhooks go to `webhooks` (set its
 * `secret` once the account's webhook secret is known).
 */
export function createDemoOrigin(options: { secret: string; webhooks?: WebhookInbox }): Server {
  // Throws here, not on the first request, if the secret is short or a dev-only default.
  const verify = createVerifier({ secret: options.secret });
  const inbox = options.webhooks ?? {};
  const received: ReceivedWebhook[] = [];
  return createServer((req, res) => {
    const isWebhook = new URL(req.url ?? "/", "http://origin").pathname === "/webhooks";
    (isWebhook ? receiveWebhook(inbox, received, req, res) : handle(verify, req, res)).catch(() => res.destroy());
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const secret = process.env.ORIGIN_SIGNING_SECRET;
  if (!secret) {
    console.error("ORIGIN_SIGNING_SECRET is not set: give the demo origin the secret the gateway signs with.");
    process.exit(1);
  }
  let origin: Server;
  try {
    origin = createDemoOrigin({ secret });
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
  const port = Number(process.env.PORT ?? 8788);
  origin.listen(port, "127.0.0.1", () => console.log(`demo origin listening on http://127.0.0.1:${port}`));
}
