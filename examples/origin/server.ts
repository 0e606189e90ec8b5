/**
 * The demo origin: a stand-in for MoMail's API service behind the gateway.
 * It serves a small MoMail-like `/v1/domains` and `/v1/messages`, and
 * refuses any request whose gateway signature does not verify, using the
 * verifier the gateway ships (`momail-gateway/verify`).
 *
 *   node examples/origin/server.ts            # listens on 127.0.0.1:8788
 *   PORT=9000 ORIGIN_SIGNING_SECRET=… node examples/origin/server.ts
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { createVerifier } from "momail-gateway/verify";

const verify = createVerifier({ secret: process.env.ORIGIN_SIGNING_SECRET ?? "dev-only-origin-signing-secret" });

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

async function handle(req: IncomingMessage, res: ServerResponse) {
  const body = await readBody(req);
  const result = await verify({
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
  const caller = { accountId: result.accountId, keyId: result.keyId };
  const path = new URL(req.url ?? "/", "http://origin").pathname.replace(/\/$/, "");
  if (path === "/v1/domains" && req.method === "GET") return send(res, 200, { success: true, data: domains, caller });
  if (path.startsWith("/v1/domains/") && req.method === "GET") {
    const domain = domains.find((d) => d.name === decodeURIComponent(path.slice("/v1/domains/".length)));
    return domain
      ? send(res, 200, { success: true, data: domain })
      : send(res, 404, { success: false, error: { code: "NOT_FOUND", message: "No such domain" } });
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

/** The demo origin as an unstarted server. */
export function createDemoOrigin(): Server {
  return createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 8788);
  createDemoOrigin().listen(port, "127.0.0.1", () => console.log(`demo origin listening on http://127.0.0.1:${port}`));
}
