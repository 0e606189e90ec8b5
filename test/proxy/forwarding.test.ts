import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { OriginRecord } from "../support/helpers";
import { accountWithKey, bytes, call, gatewayWith, marker, originRequests, sha256 } from "../support/helpers";

const echo = async (response: Response) => (await response.json()) as OriginRecord;

describe("forwarding to the origin", () => {
  it("keeps the path and query byte for byte", async () => {
    const { key } = await accountWithKey();
    for (const path of [
      "/v1/domains/example.com/records?type=MX&type=TXT&empty=&flag",
      "/v1/domains/a%20b%2Bc?q=%E2%9C%93&plus=a+b&pct=%25",
      "/v1/messages/%C3%A9t%C3%A9?order=desc,asc;param=1",
      "/v1/domains/",
    ]) {
      const response = await call(key.key, path);
      expect(response.status).toBe(200);
      expect((await echo(response)).path).toBe(path);
    }
  });

  it("keeps the method and the body", async () => {
    const { key } = await accountWithKey();
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const body = JSON.stringify({ method, to: "ops@example.com" });
      const response = await call(key.key, "/v1/messages", {
        method,
        body,
        headers: { "Content-Type": "application/json" },
      });
      const seen = await echo(response);
      expect(seen.method).toBe(method);
      expect(seen.headers["content-type"]).toBe("application/json");
      expect(seen.bodySha256).toBe(await sha256(new TextEncoder().encode(body)));
    }
    const head = await call(key.key, "/v1/domains", { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("streams a 1 MiB request body of declared length to the origin intact", async () => {
    const { key } = await accountWithKey();
    const body = bytes(1024 * 1024);
    const m = marker();
    const response = await call(key.key, `/v1/uploads/${m}`, {
      method: "POST",
      body,
      headers: { "Content-Type": "application/octet-stream" },
    });
    const seen = await echo(response);
    expect(seen.bodyLength).toBe(body.length);
    expect(seen.bodySha256).toBe(await sha256(body));
    expect(seen.headers["content-length"]).toBe(String(body.length));
    expect(seen.headers["transfer-encoding"]).toBeUndefined();
    expect(seen.headers["x-momail-signature"]).toContain(",body=UNSIGNED-PAYLOAD,");
  });

  it("buffers a body of unknown length and forwards it complete, with its length and digest", async () => {
    const { key } = await accountWithKey();
    const body = bytes(200_000, 7);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < body.length; i += 50_000) controller.enqueue(body.slice(i, i + 50_000));
        controller.close();
      },
    });
    const response = await call(key.key, "/v1/uploads", {
      method: "POST",
      body: stream,
      duplex: "half",
    } as RequestInit);
    const seen = await echo(response);
    expect(seen.bodySha256).toBe(await sha256(body));
    expect(seen.headers["content-length"]).toBe(String(body.length));
    expect(seen.headers["x-momail-signature"]).toContain(`,body=${await sha256(body)},`);
  });

  it("streams a 5 MiB response back intact", async () => {
    const { key } = await accountWithKey();
    const response = await call(key.key, `/v1/_test/big?bytes=${5 * 1024 * 1024}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe(String(5 * 1024 * 1024));
    const body = new Uint8Array(await response.arrayBuffer());
    expect(body.length).toBe(5 * 1024 * 1024);
    const pattern = new TextEncoder().encode("abcdefghijklmnopqrstuvwxyz0123456789");
    expect(body.subarray(0, 36)).toEqual(pattern);
    expect(body.subarray(5 * 1024 * 1024 - 64 * 1024, 5 * 1024 * 1024 - 64 * 1024 + 36)).toEqual(pattern);
  });

  it("streams the response: the first chunk arrives before the origin has finished", async () => {
    const { key } = await accountWithKey();
    const started = Date.now();
    const response = await call(key.key, "/v1/_test/slow-body?chunks=4&ms=300");
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const first = await reader.read();
    const firstAt = Date.now() - started;
    expect(new TextDecoder().decode(first.value)).toContain("chunk 0");
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      rest += new TextDecoder().decode(chunk.value);
    expect(rest).toContain("chunk 3");
    expect(firstAt).toBeLessThan(Date.now() - started - 500);
  });

  it("passes redirects back instead of following them", async () => {
    const { key } = await accountWithKey();
    const m = marker();
    // redirect: "manual" so that the test client itself does not follow it.
    const response = await call(key.key, `/v1/_test/redirect?${m}`, { redirect: "manual" });
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("/v1/elsewhere");
    expect(await originRequests({ pathContains: "/v1/elsewhere" }).then((r) => r.some((x) => x.path.includes(m)))).toBe(
      false,
    );
  });

  it("forwards a GET or HEAD that declares an empty body (Content-Length: 0), without a body", async () => {
    const { key } = await accountWithKey();
    for (const method of ["GET", "HEAD"]) {
      const m = marker();
      const response = await call(key.key, `/v1/domains/${m}`, { method, headers: { "Content-Length": "0" } });
      expect(response.status).toBe(200);
      const [seen] = await originRequests({ pathContains: m });
      expect(seen).toMatchObject({ method, bodyLength: 0 });
    }
  });

  it("returns the origin's own 4xx and 5xx as they are", async () => {
    const { key } = await accountWithKey();
    for (const status of [400, 404, 409, 422, 500, 503]) {
      const response = await call(key.key, `/v1/_test/status/${status}`);
      expect(response.status).toBe(status);
      expect(await response.json()).toEqual({ origin: true, status });
      expect(response.headers.get("x-origin-header")).toBeNull();
      expect(response.headers.get("x-ratelimit-limit")).toBe("100");
    }
  });

  it("returns the origin's headers, plus the request id and rate-limit headers", async () => {
    const { key } = await accountWithKey();
    const response = await call(key.key, "/v1/domains", { headers: { "X-Request-Id": "trace-abc-123" } });
    expect(response.headers.get("x-origin-header")).toBe("kept");
    expect(response.headers.get("x-request-id")).toBe("trace-abc-123");
    expect(response.headers.get("x-ratelimit-remaining")).toBe("99");
  });

  it("chooses the upstream from configuration only, never from the Host header", async () => {
    const { key } = await accountWithKey();
    const response = await call(key.key, "/v1/domains", { headers: { Host: "evil.example" } });
    expect(response.status).toBe(200);
    expect((await echo(response)).headers.host).toBe(`127.0.0.1:${env.ORIGIN_PORT}`);
  });

  it("sends a resource to its own upstream when UPSTREAM_ROUTES names it", async () => {
    const { key } = await accountWithKey();
    const routed = {
      UPSTREAM_ROUTES: JSON.stringify({ messages: `http://127.0.0.1:${env.ORIGIN_PORT}/messages-service` }),
    };
    const send = async (path: string) => echo(await gatewayWith(routed, path, { headers: { "X-API-Key": key.key } }));
    expect((await send("/v1/messages/1?x=1")).path).toBe("/messages-service/v1/messages/1?x=1");
    expect((await send("/v1/domains")).path).toBe("/v1/domains");
  });

  it.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"])(
    "sends /v1/%s to UPSTREAM_URL, not to a route read off the prototype",
    async (resource) => {
      const { key } = await accountWithKey();
      const routed = {
        UPSTREAM_ROUTES: JSON.stringify({ messages: `http://127.0.0.1:${env.ORIGIN_PORT}/messages-service` }),
      };
      for (const bindings of [{}, routed]) {
        const response = await gatewayWith(bindings, `/v1/${resource}/x?y=1`, { headers: { "X-API-Key": key.key } });
        expect(response.status).toBe(200);
        expect((await echo(response)).path).toBe(`/v1/${resource}/x?y=1`);
      }
    },
  );
});
