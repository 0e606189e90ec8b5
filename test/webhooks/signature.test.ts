/**
 * The shipped verifier's MoMail-Signature check (src/verify/webhook.ts,
 * exported by `momail-gateway/verify`): `t=…,v1=HMAC-SHA256("{t}.{raw
 * body}")` under the whole secret string, any of its `v1` values, compared
 * in constant time, within a timestamp tolerance. The Standard Webhooks
 * headers: standard-webhooks.test.ts.
 */
import { describe, expect, it } from "vitest";
import { hmacHex } from "../../src/crypto";
import { signWebhook, verifyWebhook, verifyWebhookRequest, WEBHOOK_SIGNATURE_HEADER } from "../../src/verify/index";

const secret = "whsec_0123456789abcdefghijABCDEFGHIJ01";
const body = JSON.stringify({
  id: "evt_1",
  type: "key.created",
  createdAt: "2026-01-01T00:00:00Z",
  accountId: "acct_1",
  data: {},
});
const now = 1_800_000_000_000;
const t = now / 1000;

describe("verifyWebhook", () => {
  it('accepts the gateway\'s signature: hex HMAC-SHA256 of "{t}.{raw body}" under the secret', async () => {
    const header = await signWebhook(secret, body, t);
    expect(header).toBe(`t=${t},v1=${await hmacHex(secret, `${t}.${body}`)}`);
    expect(await verifyWebhook(body, header, { secret, now })).toEqual({ ok: true, timestamp: t, scheme: "momail" });
    expect(await verifyWebhook(new TextEncoder().encode(body), header, { secret, now })).toMatchObject({ ok: true });
  });

  it("refuses a tampered body, another secret, or a tampered timestamp", async () => {
    const header = await signWebhook(secret, body, t);
    expect(await verifyWebhook(body.replace("evt_1", "evt_2"), header, { secret, now })).toEqual({
      ok: false,
      reason: "bad-signature",
    });
    expect(await verifyWebhook(body, header, { secret: `${secret}x`, now })).toMatchObject({ reason: "bad-signature" });
    expect(await verifyWebhook(body, header.replace(`t=${t}`, `t=${t + 1}`), { secret, now })).toMatchObject({
      reason: "bad-signature",
    });
  });

  it("accepts any of several v1 values (a roll's two secrets), in any order, and ignores other schemes", async () => {
    const other = "whsec_another0123456789abcdefghijABCD";
    const header = await signWebhook([other, secret], body, t);
    expect(header).toBe(
      `t=${t},v1=${await hmacHex(other, `${t}.${body}`)},v1=${await hmacHex(secret, `${t}.${body}`)}`,
    );
    expect(await verifyWebhook(body, header, { secret, now })).toMatchObject({ ok: true });
    expect(await verifyWebhook(body, header, { secret: other, now })).toMatchObject({ ok: true });
    const [stamp, first, second] = header.split(",");
    expect(
      await verifyWebhook(body, `${second},v0=${"0".repeat(64)},${stamp},${first}`, { secret, now }),
    ).toMatchObject({
      ok: true,
    });
    expect(await verifyWebhook(body, `${stamp},${first}`, { secret, now })).toMatchObject({ reason: "bad-signature" });
  });

  it("refuses a timestamp outside the tolerance, either way (default 300 s)", async () => {
    expect(await verifyWebhook(body, await signWebhook(secret, body, t - 301), { secret, now })).toMatchObject({
      reason: "expired",
    });
    expect(await verifyWebhook(body, await signWebhook(secret, body, t + 301), { secret, now })).toMatchObject({
      reason: "expired",
    });
    expect(await verifyWebhook(body, await signWebhook(secret, body, t - 299), { secret, now })).toMatchObject({
      ok: true,
    });
    expect(
      await verifyWebhook(body, await signWebhook(secret, body, t - 20), { secret, now, toleranceSeconds: 10 }),
    ).toMatchObject({ reason: "expired" });
  });

  it.each([
    [undefined],
    [""],
    ["v1=abc"],
    ["t=1,v1=nothex"],
    [`t=abc,v1=${"0".repeat(64)}`],
    [`t=1,t=2,v1=${"0".repeat(64)}`],
  ])("answers missing-signature for a header %j", async (header) => {
    expect(await verifyWebhook(body, header, { secret, now })).toEqual({ ok: false, reason: "missing-signature" });
  });

  it("throws without a secret, rather than accepting anything", async () => {
    await expect(verifyWebhook(body, "t=1,v1=00", { secret: "" })).rejects.toThrow(/secret/);
  });

  it("checks a Fetch API Request and leaves its body readable", async () => {
    const request = new Request("https://hooks.acme.test/momail", {
      method: "POST",
      headers: { [WEBHOOK_SIGNATURE_HEADER]: await signWebhook(secret, body, Math.floor(Date.now() / 1000)) },
      body,
    });
    expect(await verifyWebhookRequest(request, { secret })).toMatchObject({ ok: true });
    expect(await request.text()).toBe(body);
  });
});
