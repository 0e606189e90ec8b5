/**
 * Hop-by-hop headers over real HTTP (`wrangler dev`). A client names headers
 * in `Connection` to mark them hop-by-hop, and a proxy must drop them; but the
 * runtime's HTTP server consumes the Connection header before the Worker runs,
 * so the gateway never learns which headers it named. The in-process workers
 * tests (test/proxy/headers.test.ts) cannot show this: they hand the Worker a
 * Request object with Connection intact, no HTTP hop in between. So this test
 * sends raw HTTP/1.1 over a socket and looks at what a Node origin received:
 * the sensitive names are dropped by name, and an arbitrary header named only
 * in Connection still arrives (the platform limit the docs state).
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyLocalMigrations, freePort, type GatewayProcess, startGateway } from "../../scripts/local-stack.ts";

/** Sends `head` (request line and headers) on a fresh socket; resolves with the raw response once it is complete. */
function rawRequest(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(`${head}\r\n`));
    let received = "";
    socket.setEncoding("latin1");
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no complete response:\n${received}`)));
    socket.on("data", (chunk: string) => {
      received += chunk;
      const end = received.indexOf("\r\n\r\n");
      const length = /\r\ncontent-length: *(\d+)/i.exec(received);
      if (end !== -1 && length && received.length >= end + 4 + Number(length[1])) {
        socket.destroy();
        resolve(received);
      }
    });
    socket.on("error", reject);
  });
}

describe("Connection-named headers over real HTTP (wrangler dev)", () => {
  const seen = new Map<string, IncomingHttpHeaders>();
  const adminToken = randomBytes(24).toString("hex");
  let origin: Server;
  let gateway: GatewayProcess | undefined;
  let state: string;
  let key: string;

  beforeAll(async () => {
    origin = createServer((req, res) => {
      seen.set(req.url ?? "", req.headers);
      req.resume();
      res.writeHead(200, { "content-type": "application/json", "content-length": "2" });
      res.end("{}");
    });
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    state = await mkdtemp(join(tmpdir(), "momail-connection-"));
    await applyLocalMigrations(state);
    gateway = await startGateway({
      port: await freePort(),
      adminToken,
      upstreamUrl: `http://127.0.0.1:${(origin.address() as AddressInfo).port}`,
      originSigningSecret: randomBytes(32).toString("hex"),
      persistTo: state,
    });
    const post = async (path: string, body: unknown) => {
      const response = await fetch(`${gateway?.url}/admin${path}`, {
        method: "POST",
        headers: { Authorization: `Bearer ${adminToken}`, "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
      return ((await response.json()) as { data: { id: string; key: string } }).data;
    };
    const account = await post("/accounts", { name: "Connection" });
    key = (await post(`/accounts/${account.id}/keys`, { name: "connection" })).key;
  });

  afterAll(async () => {
    await gateway?.stop();
    origin?.closeAllConnections();
    await new Promise((resolve) => origin?.close(resolve));
    if (state) await rm(state, { recursive: true, force: true });
  });

  it("drops the sensitive headers by name, though the Worker never sees the Connection header that names them", async () => {
    const port = Number(new URL(gateway?.url as string).port);
    const path = "/v1/domains/connection";
    const response = await rawRequest(
      port,
      [
        `GET ${path} HTTP/1.1`,
        `Host: 127.0.0.1:${port}`,
        `X-API-Key: ${key}`,
        "Connection: keep-alive, X-Foo, Proxy-Authorization, X-Forwarded-Prefix",
        "X-Foo: named-only-in-connection",
        "Keep-Alive: timeout=5",
        "Proxy-Authorization: Basic c2VjcmV0",
        "Proxy-Connection: keep-alive",
        "TE: trailers",
        "X-Forwarded-Prefix: /admin",
        "X-Original-URL: /v1/messages",
        "X-HTTP-Method-Override: DELETE",
        "",
      ].join("\r\n"),
    );
    expect(response).toMatch(/^HTTP\/1\.1 200 /);
    const headers = seen.get(path);
    expect(headers).toBeDefined();
    for (const name of [
      "keep-alive",
      "proxy-authorization",
      "proxy-connection",
      "te",
      "x-forwarded-prefix",
      "x-original-url",
      "x-http-method-override",
    ]) {
      expect(headers?.[name], name).toBeUndefined();
    }
    // The platform limit: named only in Connection, which the runtime consumed, so the Worker
    // cannot tell it is hop-by-hop and it reaches the origin. If this starts failing, the runtime
    // now passes Connection through (headers.ts already honours it): update the docs.
    expect(headers?.["x-foo"]).toBe("named-only-in-connection");
  });
});
