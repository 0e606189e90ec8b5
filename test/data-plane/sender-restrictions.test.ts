/**
 * A key's allowed sender domains at the edge (CONTRACT §8): on a sending
 * route (SENDING_ROUTES) every message's `from` must be at a listed domain or
 * a subdomain, else 403 with the documented message; a body that cannot be
 * read so is a 400 (413 past SENDER_CHECK_MAX_BYTES), before anything is
 * counted. With what an attacker would send: look-alike and suffix domains,
 * a quoted local part or a display name holding another address, a name
 * twice in one object, `from` as an array, a From header, a batch with one
 * bad message or too many, a Content-Length that lies, a body too large, a
 * body of another type. Refused requests reach no origin and count against
 * nothing; admitted ones reach it with exactly the bytes checked, signed.
 */
import { describe, expect, it } from "vitest";
import { MAX_BATCH } from "../../src/restrictions/senders";
import {
  accountWithKey,
  admin,
  call,
  dataOf,
  errorOf,
  gatewayWith,
  marker,
  type OriginRecord,
  originRequests,
  sha256,
} from "../support/helpers";

const FROM_DOMAIN = "This API key cannot send from this domain";
const JSON_TYPE = { "Content-Type": "application/json" };

/** POST `body` (JSON unless a string) with `key` to a sending route (`/v1/emails` by default). */
function send(key: string, body: unknown, path = "/v1/emails", headers: Record<string, string> = JSON_TYPE) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return call(key, path, { method: "POST", headers, body: text });
}

/** A key of a fresh account restricted to acme.test (and its subdomains). */
const restricted = (over: Record<string, unknown> = {}) =>
  accountWithKey({ allowedSenderDomains: ["acme.test"], ...over });

describe("allowedSenderDomains", () => {
  it("admits messages from a listed domain or a subdomain: the origin gets exactly the bytes checked, signed", async () => {
    const { key } = await restricted();
    for (const from of ["hello@acme.test", "Acme <news@Mail.ACME.test>", '"Acme, Inc." <a@acme.test.>']) {
      const body = JSON.stringify({ from, to: "someone@elsewhere.test", subject: "Hi", html: "<p>Hi</p>" });
      const response = await send(key.key, body);
      expect(response.status, from).toBe(200);
      const seen = (await response.json()) as OriginRecord;
      expect(seen.bodySha256).toBe(await sha256(new TextEncoder().encode(body)));
      expect(seen.signature).toBe("ok");
      expect(seen.headers["x-momail-signature"]).not.toContain("UNSIGNED-PAYLOAD");
    }
    const batch = [{ from: "a@acme.test" }, { from: "B <b@eu.acme.test>" }];
    expect((await send(key.key, batch, "/v1/emails/batch")).status).toBe(200);
  });

  it("refuses a from at any other domain with 403 FORBIDDEN and the documented message", async () => {
    const { key } = await restricted();
    const m = marker();
    for (const from of [
      "x@evil.test",
      "x@evilacme.test",
      "x@acme.test.evil.test",
      "x@аcme.test", // a Cyrillic а
      '"ceo@acme.test" <x@evil.test>',
      '"acme.test" <x@evil.test>',
    ]) {
      const response = await send(key.key, { from }, `/v1/emails?${m}`);
      expect(response.status, from).toBe(403);
      expect(await errorOf(response)).toEqual({ code: "FORBIDDEN", message: FROM_DOMAIN });
    }
    expect(await originRequests({ pathContains: m })).toHaveLength(0);
  });

  it("checks every address a message could be sent from, and every message of a batch", async () => {
    const { key } = await restricted();
    const m = marker();
    const refused = [
      { from: "a@acme.test", From: "x@evil.test" },
      { from: "a@acme.test", headers: { From: "x@evil.test" } },
      { from: "a@acme.test", headers: { sender: "x@evil.test" } },
    ];
    for (const body of refused) expect((await send(key.key, body, `/v1/emails?${m}`)).status).toBe(403);
    const batch = [{ from: "a@acme.test" }, { from: "b@acme.test" }, { from: "c@evil.test" }];
    expect((await send(key.key, batch, `/v1/emails/batch?${m}`)).status).toBe(403);
    // The route as origins match it: case, a format, a trailing slash.
    for (const path of ["/v1/Emails", "/v1/emails.json", "/v1/emails/", "/v1/%65mails"]) {
      expect((await send(key.key, { from: "x@evil.test" }, `${path}?${m}`)).status, path).toBe(403);
    }
    expect(await originRequests({ pathContains: m })).toHaveLength(0);
  });

  it("answers 400 naming the fault for a body it cannot check, and reaches no origin", async () => {
    const { key } = await restricted();
    const m = marker();
    const cases: Array<[unknown, string, Record<string, string>?]> = [
      ["from=a@acme.test", "body: must be JSON for a key restricted to sender domains"],
      [
        '{"from":"a@acme.test","from":"x@evil.test"}',
        'body: names "from" twice in one object: each name may appear once',
      ],
      [
        '{"from":"a@acme.test","fr\\u006fm":"x@evil.test"}',
        'body: names "from" twice in one object: each name may appear once',
      ],
      [{ to: "b@elsewhere.test" }, "from: is required for a key restricted to sender domains"],
      [{ from: ["a@acme.test"] }, 'from: must be a string, "addr@domain" or "Name <addr@domain>"'],
      [{ from: { email: "a@acme.test" } }, 'from: must be a string, "addr@domain" or "Name <addr@domain>"'],
      [{ from: '"x@acme.test"@evil.test' }, 'from: must be one address, "addr@domain" or "Name <addr@domain>"'],
      [{ from: "ceo@acme.test <x@evil.test>" }, 'from: must be one address, "addr@domain" or "Name <addr@domain>"'],
      [{ from: "x@acme.test (x@evil.test)" }, 'from: must be one address, "addr@domain" or "Name <addr@domain>"'],
      [{ from: "x@acme.test\r\nBcc: y@evil.test" }, 'from: must be one address, "addr@domain" or "Name <addr@domain>"'],
      [{ from: "x@ａｃｍｅ.test" }, 'from: must be one address, "addr@domain" or "Name <addr@domain>"'],
      [[], "body: a batch must hold at least one message"],
      [
        Array(MAX_BATCH + 1).fill({ from: "a@acme.test" }),
        `body: a batch holds at most ${MAX_BATCH} messages, this one ${MAX_BATCH + 1}`,
      ],
      [
        { from: "a@acme.test" },
        "Content-Type: must be application/json (UTF-8) for a key restricted to sender domains",
        {},
      ],
      [
        { from: "a@acme.test" },
        "Content-Type: must be application/json (UTF-8) for a key restricted to sender domains",
        { "Content-Type": "application/x-www-form-urlencoded" },
      ],
      [
        { from: "a@acme.test" },
        "Content-Type: must be application/json (UTF-8) for a key restricted to sender domains",
        { "Content-Type": "application/json; charset=utf-16" },
      ],
      [
        { from: "a@acme.test" },
        "Content-Encoding: a key restricted to sender domains sends its body uncompressed",
        { ...JSON_TYPE, "Content-Encoding": "gzip" },
      ],
    ];
    for (const [body, message, headers] of cases) {
      const response = await send(key.key, body, `/v1/emails?${m}`, headers ?? JSON_TYPE);
      expect(response.status, message).toBe(400);
      expect(await errorOf(response)).toEqual({ code: "BAD_REQUEST", message });
    }
    expect(await originRequests({ pathContains: m })).toHaveLength(0);
  });

  it("refuses a body whose Content-Length lies, and one over SENDER_CHECK_MAX_BYTES, declared or streamed", async () => {
    const { key } = await restricted();
    const m = marker();
    const body = JSON.stringify({ from: "a@acme.test", html: "x".repeat(3000) });
    const init = (headers: Record<string, string>, payload: BodyInit) => ({
      method: "POST",
      headers: { ...headers, ...JSON_TYPE, "X-API-Key": key.key },
      body: payload,
      duplex: "half" as const,
    });
    const small = { SENDER_CHECK_MAX_BYTES: "2048" };
    const lying = await gatewayWith({}, `/v1/emails?${m}`, init({ "Content-Length": "10" }, stream(body)));
    expect(lying.status).toBe(400);
    expect((await errorOf(lying)).message).toMatch(/^(Content-Length: says 10 bytes|body: could not be read)/);
    const declared = await gatewayWith(small, `/v1/emails?${m}`, init({}, body));
    expect(declared.status).toBe(413);
    expect(await errorOf(declared)).toEqual({
      code: "PAYLOAD_TOO_LARGE",
      message: "Request body too large: a key restricted to sender domains sends at most 2048 bytes",
    });
    const streamed = await gatewayWith(small, `/v1/emails?${m}`, init({}, stream(body)));
    expect(streamed.status).toBe(413);
    expect(await originRequests({ pathContains: m })).toHaveLength(0);
    // The same body from a key with no restriction on senders is not read for it: forwarded.
    const { key: free } = await accountWithKey();
    const forwarded = await gatewayWith(small, `/v1/emails?${m}`, {
      ...init({}, body),
      headers: { ...JSON_TYPE, "X-API-Key": free.key },
    });
    expect(forwarded.status).toBe(200);
  });

  it("refuses before anything is counted: a 400 uses no budget, a 403 counts only as forbidden", async () => {
    const { account, key } = await restricted({ rateLimit: { limit: 1, windowSeconds: 60 } });
    expect((await send(key.key, "not json")).status).toBe(400);
    expect((await send(key.key, { from: "x@evil.test" })).status).toBe(403);
    expect((await send(key.key, { from: "a@acme.test" })).status).toBe(200);
    expect((await send(key.key, { from: "a@acme.test" })).status).toBe(429);
    const { rows } = await dataOf<{ rows: Array<Record<string, number | string>> }>(
      await admin("GET", `/accounts/${account.id}/usage`),
    );
    expect(rows).toEqual([expect.objectContaining({ admitted: 1, rateLimited: 1, forbidden: 1 })]);
  });

  it("reads no body off a sending route, or of a key whose senders are not restricted", async () => {
    const { key } = await restricted();
    // Not a sending route: any body goes on, as sent.
    expect((await send(key.key, "not json", "/v1/messages")).status).toBe(200);
    expect((await send(key.key, "not json", "/v1/emails/123/cancel")).status).toBe(200);
    const { key: free } = await accountWithKey({ allowedIps: ["0.0.0.0/0"] });
    const response = await call(free.key, "/v1/emails", {
      method: "POST",
      headers: { "CF-Connecting-IP": "192.0.2.1" },
      body: "from=x@evil.test",
    });
    expect(response.status).toBe(200);
  });

  it("follows SENDING_ROUTES", async () => {
    const { key } = await restricted();
    const routes = { SENDING_ROUTES: JSON.stringify(["POST /v1/messages", "* /v1/outbox"]) };
    const post = (path: string, method = "POST") =>
      gatewayWith(routes, path, {
        method,
        headers: { ...JSON_TYPE, "X-API-Key": key.key },
        body: JSON.stringify({ from: "x@evil.test" }),
      });
    expect((await post("/v1/messages")).status).toBe(403);
    expect((await post("/v1/outbox", "PUT")).status).toBe(403);
    expect((await post("/v1/emails")).status).toBe(200);
  });
});

/** `text` as a stream of unknown length, in two chunks. */
function stream(text: string): ReadableStream<Uint8Array> {
  const bytes = new TextEncoder().encode(text);
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes.slice(0, 100));
      controller.enqueue(bytes.slice(100));
      controller.close();
    },
  });
}
