import { describe, expect, it } from "vitest";
import { accountWithKey, bytes, call, errorOf, gatewayWith, marker, originRequests } from "../support/helpers";

function send(vars: Record<string, string>, key: string, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  headers.set("X-API-Key", key);
  return gatewayWith(vars, path, { ...init, headers });
}

/** A port nothing listens on. */
const CLOSED_PORT_URL = "http://127.0.0.1:9";

describe("origin faults", () => {
  it("answers 502 BAD_GATEWAY when the origin is unreachable, with the rate-limit headers", async () => {
    const { key } = await accountWithKey();
    const response = await send({ UPSTREAM_URL: CLOSED_PORT_URL }, key.key, "/v1/domains");
    expect(response.status).toBe(502);
    expect((await errorOf(response)).code).toBe("BAD_GATEWAY");
    expect(response.headers.get("x-ratelimit-limit")).toBe("100");
    expect(response.headers.get("x-request-id")).toBeTruthy();
  });

  it("answers 502 when the origin resets the connection before answering", async () => {
    const { key } = await accountWithKey();
    const response = await call(key.key, "/v1/_test/reset");
    expect(response.status).toBe(502);
    expect((await errorOf(response)).code).toBe("BAD_GATEWAY");
  });

  // That the origin's request is then closed needs a real request lifecycle: test/e2e/timeout.e2e.ts.
  it("answers 504 GATEWAY_TIMEOUT when no headers come within UPSTREAM_TIMEOUT_MS", async () => {
    const { key } = await accountWithKey();
    const started = Date.now();
    const response = await send({ UPSTREAM_TIMEOUT_MS: "300" }, key.key, "/v1/_test/slow-headers?ms=2000");
    expect(response.status).toBe(504);
    expect((await errorOf(response)).code).toBe("GATEWAY_TIMEOUT");
    expect(response.headers.get("x-ratelimit-limit")).toBe("100");
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("does not time out a slow body once the headers have come", async () => {
    const { key } = await accountWithKey();
    const response = await send({ UPSTREAM_TIMEOUT_MS: "300" }, key.key, "/v1/_test/slow-body?chunks=3&ms=250");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("chunk 0\nchunk 1\nchunk 2\n");
  });

  it("keeps serving other requests while an origin request hangs", async () => {
    const { key } = await accountWithKey();
    const hanging = call(key.key, "/v1/_test/slow-headers?ms=1500");
    const started = Date.now();
    for (let i = 0; i < 5; i++) expect((await call(key.key, "/v1/domains")).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await hanging).status).toBe(200);
  });

  it("passes a mid-response reset on as a broken body, and keeps serving", async () => {
    const { key } = await accountWithKey();
    const response = await call(key.key, "/v1/_test/reset-mid");
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect((await call(key.key, "/v1/domains")).status).toBe(200);
  });
});

describe("request body limits", () => {
  it("answers 413 PAYLOAD_TOO_LARGE when Content-Length says so, without calling the origin", async () => {
    const { key } = await accountWithKey();
    const m = marker();
    const response = await send({ MAX_BODY_BYTES: "1000" }, key.key, `/v1/uploads/${m}`, {
      method: "POST",
      body: bytes(1001),
    });
    expect(response.status).toBe(413);
    expect((await errorOf(response)).code).toBe("PAYLOAD_TOO_LARGE");
    expect(await originRequests({ pathContains: m })).toHaveLength(0);
  });

  it("answers 413 when a body of unknown length grows past the limit; the origin gets nothing, not a truncated body", async () => {
    const { key } = await accountWithKey();
    const m = marker();
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        if (pulled > 20) controller.close();
        else controller.enqueue(bytes(100, pulled));
      },
    });
    const response = await send({ MAX_BODY_BYTES: "1000" }, key.key, `/v1/uploads/${m}`, {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(await originRequests({ pathContains: m })).toHaveLength(0);
  });

  it("accepts a body of exactly MAX_BODY_BYTES, declared or streamed", async () => {
    const { key } = await accountWithKey();
    const declared = await send({ MAX_BODY_BYTES: "1000" }, key.key, "/v1/uploads", {
      method: "POST",
      body: bytes(1000),
    });
    expect(declared.status).toBe(200);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes(600));
        controller.enqueue(bytes(400));
        controller.close();
      },
    });
    const streamed = await send({ MAX_BODY_BYTES: "1000" }, key.key, "/v1/uploads", {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(200);
  });
});
