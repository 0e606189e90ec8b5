/**
 * Standard Webhooks 1.0 signatures (CONTRACT §7) and the shipped verifier's
 * check of both header sets: the specification's own test vectors (the
 * fixed secret, id, timestamp, payload and signature its libraries' test
 * suites share), the `standardwebhooks` npm package signing and verifying
 * what the gateway's code makes, Stripe's algorithm on MoMail-Signature, and
 * secrets of the old format (`whsec_` + 32 base62 characters).
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { toBase64 } from "../../src/crypto";
import { BASE62, randomString } from "../../src/keys/random";
import {
  signStandardWebhook,
  signWebhook,
  standardWebhookKey,
  verifyWebhook,
  verifyWebhookRequest,
  webhookHeaders,
} from "../../src/verify/index";
import { newWebhookSecret } from "../../src/webhooks/secret";
import { constructEvent } from "../support/stripe-webhooks";

// The specification's vectors (libraries/*/ test files of standard-webhooks/standard-webhooks).
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  wrongSignature: "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
};
const vectorNow = VECTOR.timestamp * 1000;
const vectorHeaders = (signature = VECTOR.signature): Record<string, string> => ({
  "webhook-id": VECTOR.id,
  "webhook-timestamp": String(VECTOR.timestamp),
  "webhook-signature": signature,
});

const oldFormatSecret = () => `whsec_${randomString(BASE62, 32)}`;
const body = JSON.stringify({ id: "evt_1", type: "key.created", createdAt: "2026-01-01T00:00:00Z", data: {} });

describe("the Standard Webhooks specification's test vectors", () => {
  it("signs the vector's id, timestamp and payload to the vector's signature", async () => {
    expect(await signStandardWebhook(VECTOR.secret, VECTOR.id, VECTOR.payload, VECTOR.timestamp)).toBe(
      VECTOR.signature,
    );
  });

  it("verifies the vector with and without the whsec_ prefix", async () => {
    for (const secret of [VECTOR.secret, VECTOR.secret.slice("whsec_".length)]) {
      expect(await verifyWebhook(VECTOR.payload, vectorHeaders(), { secret, now: vectorNow })).toEqual({
        ok: true,
        timestamp: VECTOR.timestamp,
        scheme: "standard",
      });
    }
  });

  it("accepts a multi-signature header when any v1 value matches, skipping other versions", async () => {
    const signature = [
      VECTOR.wrongSignature,
      VECTOR.wrongSignature.replace("v1,", "v2,"),
      VECTOR.signature,
      VECTOR.wrongSignature,
    ].join(" ");
    expect(
      await verifyWebhook(VECTOR.payload, vectorHeaders(signature), { secret: VECTOR.secret, now: vectorNow }),
    ).toMatchObject({ ok: true });
  });

  it.each([
    ["a wrong signature", vectorHeaders(VECTOR.wrongSignature), "bad-signature"],
    ["a partial signature", vectorHeaders(VECTOR.signature.slice(0, 8)), "missing-signature"],
    ["an empty v1", vectorHeaders("v1,"), "missing-signature"],
    ["no webhook-id", { ...vectorHeaders(), "webhook-id": "" }, "missing-signature"],
    ["a timestamp that is not a number", { ...vectorHeaders(), "webhook-timestamp": "hello" }, "missing-signature"],
  ])("refuses %s", async (_, headers, reason) => {
    expect(await verifyWebhook(VECTOR.payload, headers, { secret: VECTOR.secret, now: vectorNow })).toEqual({
      ok: false,
      reason,
    });
  });

  it("refuses a timestamp more than the tolerance (300 s) old or new", async () => {
    const options = { secret: VECTOR.secret };
    const at = (seconds: number) => ({ ...options, now: vectorNow + seconds * 1000 });
    expect(await verifyWebhook(VECTOR.payload, vectorHeaders(), at(301))).toMatchObject({ reason: "expired" });
    expect(await verifyWebhook(VECTOR.payload, vectorHeaders(), at(-301))).toMatchObject({ reason: "expired" });
    expect(await verifyWebhook(VECTOR.payload, vectorHeaders(), at(299))).toMatchObject({ ok: true });
  });

  it("agrees with the standardwebhooks package on the vector", () => {
    expect(new Webhook(VECTOR.secret).sign(VECTOR.id, new Date(vectorNow), VECTOR.payload)).toBe(VECTOR.signature);
  });
});

describe("secrets and stock libraries", () => {
  it("issues whsec_ and the base64 of 32 random bytes, a different one each time", () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(standardWebhookKey(secret)).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(secret);
  });

  it("makes headers that the standardwebhooks package verifies, with each secret of a roll", async () => {
    const [current, previous] = [newWebhookSecret(), newWebhookSecret()];
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = await webhookHeaders({ secrets: [current, previous], id: "evt_abc", body, timestamp });
    expect(headers["webhook-id"]).toBe("evt_abc");
    expect(headers["webhook-timestamp"]).toBe(String(timestamp));
    expect(headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]{43}= v1,[A-Za-z0-9+/]{43}=$/);
    expect(headers["webhook-signature"]?.split(" ")[0]).toBe(
      new Webhook(current).sign("evt_abc", new Date(timestamp * 1000), body),
    );
    for (const secret of [current, previous]) {
      expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
      expect(await verifyWebhook(body, headers, { secret })).toMatchObject({ ok: true, scheme: "standard" });
    }
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow(/No matching signature/);
  });

  it("makes a MoMail-Signature that Stripe's algorithm verifies with the whole secret string", async () => {
    const [current, previous] = [newWebhookSecret(), oldFormatSecret()];
    const header = await signWebhook([current, previous], body, Math.floor(Date.now() / 1000));
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    for (const secret of [current, previous]) {
      expect(await constructEvent(body, header, secret)).toEqual(JSON.parse(body));
      expect(await verifyWebhook(body, header, { secret })).toMatchObject({ ok: true, scheme: "momail" });
    }
    await expect(constructEvent(body, header, newWebhookSecret())).rejects.toThrow(/No signatures found matching/);
  });

  it("keeps old-format secrets (whsec_ + 32 base62) working: stock libraries read them as 24 bytes", async () => {
    const secret = oldFormatSecret();
    const key = standardWebhookKey(secret);
    expect(key).toHaveLength(24);
    expect(`whsec_${toBase64(key)}`).toBe(secret);
    const headers = await webhookHeaders({
      secrets: [secret],
      id: "evt_old",
      body,
      timestamp: Math.floor(Date.now() / 1000),
    });
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(await constructEvent(body, headers["momail-signature"], secret)).toEqual(JSON.parse(body));
  });

  it("keys a secret that is not base64 after whsec_ with its UTF-8 bytes, as the libraries' raw option does", async () => {
    const secret = "whsec_not base64!";
    expect(standardWebhookKey(secret)).toEqual(new TextEncoder().encode(secret));
    const headers = await webhookHeaders({
      secrets: [secret],
      id: "evt_raw",
      body,
      timestamp: Math.floor(Date.now() / 1000),
    });
    expect(new Webhook(secret, { format: "raw" }).verify(body, headers)).toEqual(JSON.parse(body));
  });
});

describe("the shipped verifier with both header sets", () => {
  const secret = newWebhookSecret();
  const now = 1_800_000_000_000;
  const t = now / 1000;
  const signed = () => webhookHeaders({ secrets: [secret], id: "evt_both", body, timestamp: t });

  it("takes Node's req.headers or a Fetch Headers, and says which signature verified", async () => {
    const headers = await signed();
    expect(await verifyWebhook(body, headers, { secret, now })).toEqual({ ok: true, timestamp: t, scheme: "standard" });
    expect(await verifyWebhook(new TextEncoder().encode(body), new Headers(headers), { secret, now })).toMatchObject({
      ok: true,
      scheme: "standard",
    });
    const { "webhook-signature": _, ...momailOnly } = headers;
    expect(await verifyWebhook(body, momailOnly, { secret, now })).toMatchObject({ ok: true, scheme: "momail" });
    const capitalized = {
      "Webhook-Id": headers["webhook-id"],
      "Webhook-Timestamp": headers["webhook-timestamp"],
      "Webhook-Signature": headers["webhook-signature"],
    };
    expect(await verifyWebhook(body, capitalized, { secret, now })).toMatchObject({ ok: true, scheme: "standard" });
  });

  it("refuses a tampered body or id, another secret, or no signature at all", async () => {
    const headers = await signed();
    const { "momail-signature": _, ...standardOnly } = headers;
    expect(await verifyWebhook(body.replace("evt_1", "evt_2"), headers, { secret, now })).toEqual({
      ok: false,
      reason: "bad-signature",
    });
    expect(await verifyWebhook(body, { ...standardOnly, "webhook-id": "evt_other" }, { secret, now })).toEqual({
      ok: false,
      reason: "bad-signature",
    });
    expect(await verifyWebhook(body, headers, { secret: newWebhookSecret(), now })).toMatchObject({
      reason: "bad-signature",
    });
    expect(await verifyWebhook(body, {}, { secret, now })).toEqual({ ok: false, reason: "missing-signature" });
    expect(await verifyWebhook(body, headers, { secret, now: now + 301_000 })).toMatchObject({ reason: "expired" });
  });

  it("accepts a valid MoMail-Signature beside a broken webhook-signature", async () => {
    const headers = { ...(await signed()), "webhook-signature": VECTOR.wrongSignature };
    expect(await verifyWebhook(body, headers, { secret, now })).toMatchObject({ ok: true, scheme: "momail" });
  });

  it("checks a Fetch API Request with either set and leaves its body readable", async () => {
    const headers = await webhookHeaders({
      secrets: [secret],
      id: "evt_req",
      body,
      timestamp: Math.floor(Date.now() / 1000),
    });
    const request = new Request("https://hooks.acme.test/momail", { method: "POST", headers, body });
    expect(await verifyWebhookRequest(request, { secret })).toMatchObject({ ok: true, scheme: "standard" });
    expect(await request.text()).toBe(body);
  });
});
