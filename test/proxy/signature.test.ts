import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { hmacHex } from "../../src/crypto";
import {
  computeSignature,
  createVerifier,
  parseSignatureHeader,
  type SignedFields,
  sha256Hex,
  signatureHeader,
  UNSIGNED_PAYLOAD,
  verifySignature,
} from "../../src/verify";
import type { OriginRecord } from "../support/helpers";
import { accountWithKey, bytes, call, gatewayWith } from "../support/helpers";

/** The secret the gateway signs with in the tests, and the test origin verifies with. */
const SECRET = env.ORIGIN_SIGNING_SECRET as string;
const echo = async (response: Response) => (await response.json()) as OriginRecord;

/** A request as an origin would receive it from the gateway, signed with `secret`. */
async function signedRequest(overrides: Partial<SignedFields> = {}, body = "", secret = SECRET) {
  const fields: SignedFields = {
    timestamp: String(Math.floor(Date.now() / 1000)),
    nonce: crypto.randomUUID(),
    method: "POST",
    pathAndQuery: "/v1/messages?draft=1",
    accountId: "acct_a",
    keyId: "key_k",
    requestId: "req-1",
    mode: "live",
    contentSha256: await sha256Hex(body),
    ...overrides,
  };
  const headers: Record<string, string> = {
    "x-momail-account-id": fields.accountId,
    "x-momail-key-id": fields.keyId,
    "x-momail-mode": fields.mode,
    "x-request-id": fields.requestId,
    "x-momail-signature": signatureHeader(fields, await computeSignature(secret, fields)),
  };
  return { fields, headers, body };
}

const parts = (
  r: { fields: SignedFields; headers: Record<string, string>; body: string },
  changes: Partial<{ method: string; pathAndQuery: string; body: string }> = {},
) => ({
  method: changes.method ?? r.fields.method,
  pathAndQuery: changes.pathAndQuery ?? r.fields.pathAndQuery,
  header: (name: string) => r.headers[name],
  body: changes.body ?? r.body,
});

describe("requests the gateway forwards", () => {
  it("carry a signature the shipped verifier accepts, for reads, small bodies and large streamed bodies", async () => {
    const { key } = await accountWithKey();
    const get = await echo(await call(key.key, "/v1/domains?page=2&per_page=50"));
    expect(get.signature).toBe("ok");
    expect(get.headers["x-momail-signature"]).toMatch(/^t=\d+,nonce=[0-9a-f-]{36},body=[0-9a-f]{64},v2=[0-9a-f]{64}$/);

    const post = await echo(await call(key.key, "/v1/messages", { method: "POST", body: '{"to":"a@b.c"}' }));
    expect(post.signature).toBe("ok");
    expect(parseSignatureHeader(post.headers["x-momail-signature"] ?? "")?.contentSha256).toBe(
      await sha256Hex('{"to":"a@b.c"}'),
    );

    const large = await echo(await call(key.key, "/v1/uploads", { method: "PUT", body: bytes(256 * 1024) }));
    expect(large.signature).toBe("ok");
    expect(parseSignatureHeader(large.headers["x-momail-signature"] ?? "")?.contentSha256).toBe(UNSIGNED_PAYLOAD);
  });

  it("sign the path as the origin receives it, base path included, for UPSTREAM_ROUTES and UPSTREAM_URL", async () => {
    const { key } = await accountWithKey();
    const origin = `http://127.0.0.1:${env.ORIGIN_PORT}`;
    const init = { method: "POST", body: '{"to":"a@b.c"}', headers: { "X-API-Key": key.key } };
    const routed = await gatewayWith(
      { UPSTREAM_ROUTES: JSON.stringify({ messages: `${origin}/messages-service/v2` }) },
      "/v1/messages?draft=1",
      init,
    );
    const seen = await echo(routed);
    expect(seen.path).toBe("/messages-service/v2/v1/messages?draft=1");
    expect(seen.signature).toBe("ok");

    const based = await echo(await gatewayWith({ UPSTREAM_URL: `${origin}/api/` }, "/v1/domains?page=2", init));
    expect(based.path).toBe("/api/v1/domains?page=2");
    expect(based.signature).toBe("ok");
  });

  it("sign a lone '?' (an empty query) as sent", async () => {
    const { key } = await accountWithKey();
    const seen = await echo(await call(key.key, "/v1/domains?"));
    expect(seen.path).toBe("/v1/domains?");
    expect(seen.signature).toBe("ok");
  });
});

describe("the origin-side verifier", () => {
  it("accepts an untouched request and names the caller", async () => {
    const request = await signedRequest({}, '{"hello":"world"}');
    expect(await verifySignature(parts(request), { secret: SECRET })).toMatchObject({
      ok: true,
      accountId: "acct_a",
      keyId: "key_k",
      requestId: "req-1",
    });
  });

  it.each([
    ["the method", { method: "DELETE" }],
    ["the path", { pathAndQuery: "/v1/messages?draft=0" }],
    ["the path, by a case change", { pathAndQuery: "/v1/Messages?draft=1" }],
  ])("refuses a request whose %s was changed", async (_, changes) => {
    const request = await signedRequest();
    expect(await verifySignature(parts(request, changes), { secret: SECRET })).toEqual({
      ok: false,
      reason: "bad-signature",
    });
  });

  it("names the key's mode, and refuses a request whose X-MoMail-Mode was changed or dropped", async () => {
    const test = await signedRequest({ mode: "test" });
    expect(await verifySignature(parts(test), { secret: SECRET })).toMatchObject({ ok: true, mode: "test" });
    test.headers["x-momail-mode"] = "live";
    expect(await verifySignature(parts(test), { secret: SECRET })).toEqual({ ok: false, reason: "bad-signature" });
    delete test.headers["x-momail-mode"];
    expect(await verifySignature(parts(test), { secret: SECRET })).toEqual({ ok: false, reason: "missing-headers" });
  });

  it("refuses a first-version signature (no mode), unless acceptV1 is set while upgrading: then it is live", async () => {
    const request = await signedRequest();
    const { timestamp, nonce, method, pathAndQuery, accountId, keyId, requestId, contentSha256 } = request.fields;
    const v1 = ["MOMAIL-HMAC-SHA256-v1", timestamp, nonce, method, pathAndQuery, accountId, keyId, requestId];
    const mac = await hmacHex(SECRET, [...v1, contentSha256].join("\n"));
    request.headers["x-momail-signature"] = `t=${timestamp},nonce=${nonce},body=${contentSha256},v1=${mac}`;
    delete request.headers["x-momail-mode"];
    expect(await verifySignature(parts(request), { secret: SECRET })).toEqual({
      ok: false,
      reason: "unsupported-version",
    });
    expect(await verifySignature(parts(request), { secret: SECRET, acceptV1: true })).toMatchObject({
      ok: true,
      mode: "live",
    });
    // A v1 header over a v2 MAC (or the reverse) matches nothing.
    request.headers["x-momail-signature"] = request.headers["x-momail-signature"].replace("v1=", "v2=");
    request.headers["x-momail-mode"] = "live";
    expect(await verifySignature(parts(request), { secret: SECRET })).toEqual({ ok: false, reason: "bad-signature" });
  });

  it.each(["x-momail-account-id", "x-momail-key-id", "x-request-id"])(
    "refuses a request whose %s header was changed",
    async (name) => {
      const request = await signedRequest();
      request.headers[name] = `${request.headers[name]}x`;
      expect(await verifySignature(parts(request), { secret: SECRET })).toEqual({ ok: false, reason: "bad-signature" });
    },
  );

  it.each([
    ["its nonce", (v: string) => v.replace(/nonce=[^,]+/, `nonce=${crypto.randomUUID()}`)],
    ["its body digest", (v: string) => v.replace(/body=[0-9a-f]{64}/, "body=UNSIGNED-PAYLOAD")],
    ["its timestamp, by a second", (v: string) => v.replace(/t=(\d+)/, (_, t) => `t=${Number(t) - 1}`)],
  ])("refuses a request whose signature header had %s changed", async (_, change) => {
    const request = await signedRequest();
    request.headers["x-momail-signature"] = change(request.headers["x-momail-signature"] as string);
    expect(await verifySignature(parts(request), { secret: SECRET })).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("refuses a malformed signature header", async () => {
    const request = await signedRequest();
    request.headers["x-momail-signature"] = "v1=deadbeef";
    expect(await verifySignature(parts(request), { secret: SECRET })).toEqual({ ok: false, reason: "missing-headers" });
  });

  it("refuses a body that does not match the signed digest", async () => {
    const request = await signedRequest({}, '{"amount":1}');
    expect(await verifySignature(parts(request, { body: '{"amount":9}' }), { secret: SECRET })).toEqual({
      ok: false,
      reason: "body-mismatch",
    });
  });

  it("refuses a signature made with another secret", async () => {
    const request = await signedRequest({}, "", "another-secret");
    expect(await verifySignature(parts(request), { secret: SECRET })).toEqual({ ok: false, reason: "bad-signature" });
  });

  it("refuses a request outside the replay window (default 60 s), either way", async () => {
    const now = Date.now();
    const old = await signedRequest({ timestamp: String(Math.floor(now / 1000) - 61) });
    const future = await signedRequest({ timestamp: String(Math.floor(now / 1000) + 61) });
    expect(await verifySignature(parts(old), { secret: SECRET, now })).toEqual({ ok: false, reason: "expired" });
    expect(await verifySignature(parts(future), { secret: SECRET, now })).toEqual({ ok: false, reason: "expired" });
    expect((await verifySignature(parts(old), { secret: SECRET, now, toleranceSeconds: 120 })).ok).toBe(true);
  });

  it("refuses a replay of an accepted request within the window", async () => {
    const verify = createVerifier({ secret: SECRET });
    const request = await signedRequest();
    expect((await verify(parts(request))).ok).toBe(true);
    expect(await verify(parts(request))).toEqual({ ok: false, reason: "replayed" });
  });

  it("refuses a request without the signature headers", async () => {
    expect(
      await verifySignature({ method: "GET", pathAndQuery: "/v1/x", header: () => null }, { secret: SECRET }),
    ).toEqual({
      ok: false,
      reason: "missing-headers",
    });
  });

  it("verifies a Fetch API Request, reading a signed body from a clone", async () => {
    const signed = await signedRequest({}, "payload");
    const request = new Request(`https://origin.example${signed.fields.pathAndQuery}`, {
      method: "POST",
      headers: signed.headers,
      body: "payload",
    });
    const verify = createVerifier({ secret: SECRET });
    expect((await verify(request)).ok).toBe(true);
    expect(await request.text()).toBe("payload");
  });

  it("verifies a Fetch API Request whose URL ends in an empty query ('?')", async () => {
    const signed = await signedRequest({ method: "GET", pathAndQuery: "/v1/domains?" });
    const request = new Request(`https://origin.example${signed.fields.pathAndQuery}`, { headers: signed.headers });
    expect(await createVerifier({ secret: SECRET })(request)).toMatchObject({ ok: true });
  });

  it("never forgets a nonce inside its window: when the nonce memory is full it refuses, and a replay stays refused", async () => {
    const verify = createVerifier({ secret: SECRET, maxNonces: 10 });
    const first = await signedRequest();
    expect((await verify(parts(first))).ok).toBe(true);
    const accepted: boolean[] = [];
    for (let i = 0; i < 20; i++) accepted.push((await verify(parts(await signedRequest()))).ok);
    expect(accepted.filter(Boolean)).toHaveLength(9);
    expect(await verify(parts(await signedRequest()))).toEqual({ ok: false, reason: "replay-cache-full" });
    expect(await verify(parts(first))).toEqual({ ok: false, reason: "replayed" });
  });

  it("frees the nonce memory once the remembered signatures have expired", async () => {
    const now = Date.now();
    const verify = createVerifier({ secret: SECRET, maxNonces: 2, toleranceSeconds: 2 });
    // Signed a second or so ago: valid now, expired (and forgettable) within a second.
    const old = () => signedRequest({ timestamp: String(Math.floor(now / 1000) - 1) });
    expect((await verify(parts(await old()))).ok).toBe(true);
    expect((await verify(parts(await old()))).ok).toBe(true);
    expect(await verify(parts(await signedRequest()))).toEqual({ ok: false, reason: "replay-cache-full" });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await verify(parts(await signedRequest()))).ok).toBe(true);
  });

  it.each([
    ["a development-only secret", "dev-only-origin-signing-secret-0123456789", /development default/],
    ["a secret shorter than 32 characters", "s".repeat(31), /at least 32 characters/],
    ["an empty secret", "", /at least 32 characters/],
  ])("refuses to be created with %s", (_, secret, message) => {
    expect(() => createVerifier({ secret })).toThrow(message);
  });
});
