/**
 * The demo origin: a stand-in for MoMail's API service behind the gateway.
 * It serves a small MoMail-like `/v1/domains` and `/v1/messages`, and
 * refuses any request whose gateway signature does not verify, using the
 * verifier the gateway ships (`momail-gateway/verify`). It needs the secret
 * the gateway signs with, and has no default: started without one it exits.
 * `npm start` generates one per checkout and passes it to both.
 *
 *   ORIGIN_SIGNING_SECRET=… node examples/origin/server.ts    # listens on 127.0.0.1:8788
 *   PORT=9000 ORIGIN_SIGNING_SECRET=… node examples/origin/server.ts
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { createVerifier, type VerifyResult } from "momail-gateway/verify";

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

/** The demo origin as an unstarted server, verifying with `secret` (the gateway's ORIGIN_SIGNING_SECRET). */
export function createDemoOrigin(options: { secret: string }): Server {
  // Throws here, not on the first request, if the secret is short or a dev-only default.
  const verify = createVerifier({ secret: options.secret });
  return createServer((req, res) => {
    handle(verify, req, res).catch(() => res.destroy());
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
