import { describe, expect, it } from "vitest";
import type { OriginRecord } from "../support/helpers";
import { accountWithKey, call } from "../support/helpers";

const echo = async (response: Response) => (await response.json()) as OriginRecord;

describe("header hygiene", () => {
  it("adds the caller's identity and strips the key", async () => {
    const { account, key } = await accountWithKey();
    const seen = await echo(await call(key.key));
    expect(seen.headers["x-momail-account-id"]).toBe(account.id);
    expect(seen.headers["x-momail-key-id"]).toBe(key.id);
    expect(seen.headers["x-api-key"]).toBeUndefined();
    expect(JSON.stringify(seen)).not.toContain(key.key.slice(12));
  });

  it("drops every client-sent X-MoMail-* header, so identity cannot be spoofed", async () => {
    const { key } = await accountWithKey();
    const seen = await echo(
      await call(key.key, "/v1/domains", {
        headers: {
          "X-MoMail-Account-Id": "acct_spoofed",
          "X-MoMail-Key-Id": "key_spoofed",
          "X-MoMail-Admin": "true",
          "X-MoMail-Signature": "v1=forged",
        },
      }),
    );
    expect(seen.headers["x-momail-account-id"]).not.toBe("acct_spoofed");
    expect(seen.headers["x-momail-key-id"]).not.toBe("key_spoofed");
    expect(seen.headers["x-momail-admin"]).toBeUndefined();
    expect(seen.headers["x-momail-signature"]).not.toBe("v1=forged");
    expect(seen.signature).toBe("ok");
  });

  it("drops hop-by-hop headers, including those Connection names", async () => {
    const { key } = await accountWithKey();
    const seen = await echo(
      await call(key.key, "/v1/domains", {
        headers: {
          Connection: "keep-alive, X-Hop-Private",
          "X-Hop-Private": "secret",
          "Keep-Alive": "timeout=5",
          TE: "trailers",
          Trailer: "Expires",
          Upgrade: "websocket",
          "Proxy-Authorization": "Basic abc",
          "Proxy-Connection": "keep-alive",
          "X-Kept": "yes",
        },
      }),
    );
    for (const name of [
      "x-hop-private",
      "keep-alive",
      "te",
      "trailer",
      "upgrade",
      "proxy-authorization",
      "proxy-connection",
    ]) {
      expect(seen.headers[name], name).toBeUndefined();
    }
    expect(seen.headers["x-kept"]).toBe("yes");
  });

  it("drops the method-override headers, so a GET cannot pass as a DELETE behind a read-only scope check", async () => {
    const { key } = await accountWithKey({ scopes: ["domains:read"] });
    const response = await call(key.key, "/v1/domains/example.com", {
      headers: { "X-HTTP-Method-Override": "DELETE", "X-HTTP-Method": "DELETE", "X-Method-Override": "DELETE" },
    });
    expect(response.status).toBe(200);
    const seen = await echo(response);
    expect(seen.method).toBe("GET");
    for (const name of ["x-http-method-override", "x-http-method", "x-method-override"]) {
      expect(seen.headers[name], name).toBeUndefined();
    }
  });

  it("drops every header whose name holds an underscore, which CGI and WSGI origins read as its dashed twin", async () => {
    const { key } = await accountWithKey({ scopes: ["domains:read"] });
    const response = await call(key.key, "/v1/domains", {
      headers: {
        "CF-Connecting-IP": "203.0.113.7",
        X_HTTP_Method_Override: "DELETE",
        X_HTTP_Method: "DELETE",
        X_Method_Override: "DELETE",
        X_Forwarded_For: "6.6.6.6",
        X_Forwarded_Host: "admin.internal",
        X_Forwarded_Proto: "gopher",
        X_MoMail_Account_Id: "acct_victim",
        X_MoMail_Key_Id: "key_victim",
        X_Real_IP: "10.0.0.3",
        X_API_Key: "mk_abcd1234_0000000000000000004Bd7Ij",
        "X-Custom_Header": "x",
        _: "x",
        "X-Kept": "yes",
      },
    });
    expect(response.status).toBe(200);
    const seen = await echo(response);
    expect(seen.method).toBe("GET");
    expect(Object.keys(seen.headers).filter((name) => name.includes("_"))).toEqual([]);
    expect(seen.headers["x-forwarded-for"]).toBe("203.0.113.7");
    expect(seen.headers["x-forwarded-host"]).toBe("localhost");
    expect(seen.headers["x-momail-account-id"]).not.toBe("acct_victim");
    expect(JSON.stringify(seen.headers)).not.toMatch(/6\.6\.6\.6|admin\.internal|acct_victim|key_victim|DELETE/);
    expect(seen.headers["x-kept"]).toBe("yes");
    expect(seen.signature).toBe("ok");
  });

  it("drops client-sent headers that origins and frameworks read as a proxy's word on the URL or client", async () => {
    const { key } = await accountWithKey();
    const seen = await echo(
      await call(key.key, "/v1/domains", {
        headers: {
          "X-Original-URL": "/v1/messages",
          "X-Rewrite-URL": "/v1/messages",
          "X-Forwarded-Prefix": "/admin",
          "X-Forwarded-Port": "8443",
          "X-Forwarded-Server": "admin.internal",
          "X-Client-IP": "10.0.0.9",
          "True-Client-IP": "10.0.0.9",
          "X-Cluster-Client-IP": "10.0.0.9",
        },
      }),
    );
    for (const name of [
      "x-original-url",
      "x-rewrite-url",
      "x-forwarded-prefix",
      "x-forwarded-port",
      "x-forwarded-server",
      "x-client-ip",
      "true-client-ip",
      "x-cluster-client-ip",
    ]) {
      expect(seen.headers[name], name).toBeUndefined();
    }
  });

  it("drops hop-by-hop headers from the origin's response too", async () => {
    const { key } = await accountWithKey();
    const response = await call(key.key, "/v1/_test/hop");
    expect(response.headers.get("x-hop-secret")).toBeNull();
    expect(response.headers.get("keep-alive")).toBeNull();
    expect(response.headers.get("proxy-authenticate")).toBeNull();
    expect(response.headers.get("x-origin-header")).toBe("kept");
  });

  it("rebuilds X-Forwarded-* from what the edge knows, never from client input", async () => {
    const { key } = await accountWithKey();
    const seen = await echo(
      await call(key.key, "/v1/domains", {
        headers: {
          "CF-Connecting-IP": "203.0.113.7",
          "X-Forwarded-For": "10.0.0.1, 10.0.0.2",
          "X-Forwarded-Host": "admin.internal",
          "X-Forwarded-Proto": "gopher",
          Forwarded: "for=10.0.0.1",
          "X-Real-IP": "10.0.0.3",
        },
      }),
    );
    expect(seen.headers["x-forwarded-for"]).toBe("203.0.113.7");
    expect(seen.headers["x-forwarded-host"]).toBe("localhost");
    expect(seen.headers["x-forwarded-proto"]).toBe("http");
    expect(seen.headers.forwarded).toBeUndefined();
    expect(seen.headers["x-real-ip"]).toBeUndefined();
  });

  it("forwards the client's request id if sane, else a new one, and returns the same", async () => {
    const { key } = await accountWithKey();
    const kept = await call(key.key, "/v1/domains", { headers: { "X-Request-Id": "client-trace-42" } });
    expect(kept.headers.get("x-request-id")).toBe("client-trace-42");
    expect((await echo(kept)).headers["x-request-id"]).toBe("client-trace-42");

    const replaced = await call(key.key, "/v1/domains", { headers: { "X-Request-Id": "x".repeat(300) } });
    const id = replaced.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await echo(replaced)).headers["x-request-id"]).toBe(id);
  });
});
