/**
 * A real HTTP origin for the tests (Node's http module on 127.0.0.1). It
 * echoes what it received (method, raw path, headers, body length and
 * SHA-256, and whether the gateway's signature verifies), records every
 * request so tests can count what reached it, and misbehaves on demand under
 * `/v1/_test/...`: slow headers, slow body, resets, redirects, big bodies,
 * hop-by-hop response headers, any status.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createVerifier } from "../../src/verify/index.ts";
import { ORIGIN_SECRET } from "./origin-secret.ts";

export interface Received {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  bodyLength: number;
  bodySha256: string;
  signature: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function startOrigin(port = 0): Promise<{ server: Server; port: number }> {
  const received: Received[] = [];
  const verify = createVerifier({ secret: ORIGIN_SECRET });

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // The gateway went away (aborted, timed out): nothing to answer.
      res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://origin");
    if (url.pathname === "/__origin/requests") {
      const keyId = url.searchParams.get("keyId");
      const marker = url.searchParams.get("pathContains");
      const matches = received.filter(
        (r) => (!keyId || r.headers["x-momail-key-id"] === keyId) && (!marker || r.path.includes(marker)),
      );
      return sendJson(res, 200, matches);
    }
    const test = url.pathname.includes("/_test/") ? url.pathname.slice(url.pathname.indexOf("/_test/") + 7) : "";
    if (test === "reset") return req.socket.destroy();
    if (test === "slow-headers") await sleep(Number(url.searchParams.get("ms") ?? 1000));

    const body = await readBody(req);
    const signature = await verify({
      method: req.method ?? "GET",
      pathAndQuery: req.url ?? "/",
      header: (name: string) => {
        const value = req.headers[name];
        return Array.isArray(value) ? value.join(", ") : value;
      },
      body,
    });
    const record: Received = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: req.headers,
      bodyLength: body.length,
      bodySha256: createHash("sha256").update(body).digest("hex"),
      signature: signature.ok ? "ok" : signature.reason,
    };
    received.push(record);
    if (received.length > 50_000) received.splice(0, 10_000);

    if (test.startsWith("status/"))
      return sendJson(res, Number(test.slice(7)), { origin: true, status: Number(test.slice(7)) });
    if (test === "redirect") {
      res.writeHead(302, { location: "/v1/elsewhere", "content-length": "0" });
      return res.end();
    }
    if (test === "big") {
      const bytes = Number(url.searchParams.get("bytes") ?? 5 * 1024 * 1024);
      const chunk = Buffer.alloc(64 * 1024, "abcdefghijklmnopqrstuvwxyz0123456789");
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": bytes });
      for (let sent = 0; sent < bytes; sent += chunk.length) {
        const part = chunk.subarray(0, Math.min(chunk.length, bytes - sent));
        if (!res.write(part)) await new Promise((resolve) => res.once("drain", resolve));
      }
      return res.end();
    }
    if (test === "slow-body") {
      res.writeHead(200, { "content-type": "text/plain" });
      const chunks = Number(url.searchParams.get("chunks") ?? 3);
      for (let i = 0; i < chunks; i++) {
        res.write(`chunk ${i}\n`);
        await sleep(Number(url.searchParams.get("ms") ?? 200));
      }
      return res.end();
    }
    if (test === "reset-mid") {
      res.writeHead(200, { "content-type": "text/plain", "content-length": "1000" });
      res.write("partial");
      await sleep(50);
      return res.socket?.destroy();
    }
    if (test === "hop") {
      return sendJson(res, 200, record, {
        connection: "x-hop-secret",
        "x-hop-secret": "1",
        "keep-alive": "timeout=5",
        "proxy-authenticate": "Basic",
        "x-origin-header": "kept",
      });
    }
    return sendJson(res, 200, record, { "x-origin-header": "kept" });
  }
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
