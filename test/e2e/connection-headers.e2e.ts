/**
 * Hop-by-hop headers over real HTTP (`wrangler dev`). A client names headers
 * in `Connection` to mark them hop-by-hop, and a proxy must drop them; but the
 * runtime's HTTP server consumes the Connection header before the Worker runs,
 * so the gateway never learns which headers it named. The in-process workers
 * tests (test/proxy/headers.test.ts) cannot show this: they hand the Worker a
 * Request object with Connection intact, no HTTP hop in between. So this test
 * sends raw HTTP/1.1 over a socket, through the shared stack's gateway, to the
 * test origin behind `/v1/echo/...`, which answers with the headers it
 * received: the sensitive names are dropped by name, and an arbitrary header
 * named only in Connection still arrives (the platform limit the docs state).
 */
import { randomUUID } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { type Stack, sharedStack } from "./support/stack.ts";

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
  let stack: Stack;
  let key: string;

  beforeAll(async () => {
    stack = await sharedStack();
    const account = await stack.admin<{ id: string }>("POST", "/accounts", { name: "Connection" });
    key = (await stack.admin<{ key: string }>("POST", `/accounts/${account.id}/keys`, { name: "connection" })).key;
  });

  it("drops the sensitive headers by name, though the Worker never sees the Connection header that names them", async () => {
    const port = Number(new URL(stack.url).port);
    const path = `/v1/echo/connection-${randomUUID()}`;
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
    // What the test origin received, as it echoes it back.
    const echo = JSON.parse(response.slice(response.indexOf("\r\n\r\n") + 4)) as {
      path: string;
      headers: IncomingHttpHeaders;
    };
    expect(echo.path).toBe(path);
    const { headers } = echo;
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
