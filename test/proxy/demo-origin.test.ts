import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { computeSignature, type SignedFields, sha256Hex, signatureHeader } from "../../src/verify";
import { accountWithKey, admin, createAccount, createKey, errorOf, gatewayWith } from "../support/helpers";

const demoUrl = () => `http://127.0.0.1:${env.DEMO_ORIGIN_PORT}`;

/** The headers the gateway would send for GET /v1/domains now, signed with `secret`. */
async function signedHeaders(secret: string): Promise<Record<string, string>> {
  const fields: SignedFields = {
    timestamp: String(Math.floor(Date.now() / 1000)),
    nonce: crypto.randomUUID(),
    method: "GET",
    pathAndQuery: "/v1/domains",
    accountId: "acct_direct",
    keyId: "key_direct",
    requestId: "req-direct",
    mode: "live",
    contentSha256: await sha256Hex(""),
  };
  return {
    "X-MoMail-Account-Id": fields.accountId,
    "X-MoMail-Key-Id": fields.keyId,
    "X-MoMail-Mode": fields.mode,
    "X-Request-Id": fields.requestId,
    "X-MoMail-Signature": signatureHeader(fields, await computeSignature(secret, fields)),
  };
}

describe("the demo origin (examples/origin)", () => {
  it("serves /v1/domains through the gateway, knowing the caller from the verified signature", async () => {
    const { account, key } = await accountWithKey();
    const response = await gatewayWith({ UPSTREAM_URL: demoUrl() }, "/v1/domains", {
      headers: { "X-API-Key": key.key },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      data: Array<{ name: string }>;
      caller: { accountId: string; keyId: string };
    };
    expect(body.data.map((d) => d.name)).toContain("example.com");
    expect(body.caller).toEqual({ accountId: account.id, keyId: key.id, mode: "live" });
  });

  it("accepts a test key's email and delivers nothing, knowing its mode from the verified signature", async () => {
    const { key } = await accountWithKey({ mode: "test" });
    const response = await gatewayWith({ UPSTREAM_URL: demoUrl() }, "/v1/emails", {
      method: "POST",
      headers: { "X-API-Key": key.key, "Content-Type": "application/json" },
      body: JSON.stringify({ from: "hello@acme.test", to: "a@example.com" }),
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ data: { status: "sandboxed" }, caller: { mode: "test" } });
  });

  it("accepts a fresh request signed with the shared secret, once", async () => {
    const headers = await signedHeaders(env.ORIGIN_SIGNING_SECRET as string);
    const accepted = await fetch(`${demoUrl()}/v1/domains`, { headers });
    expect(accepted.status).toBe(200);
    expect(((await accepted.json()) as { caller: unknown }).caller).toEqual({
      accountId: "acct_direct",
      keyId: "key_direct",
      mode: "live",
    });
    const replayed = await fetch(`${demoUrl()}/v1/domains`, { headers });
    expect(replayed.status).toBe(401);
    expect((await errorOf(replayed)).message).toContain("replayed");
  });

  it("refuses a fresh, well-formed request signed with another secret", async () => {
    const response = await fetch(`${demoUrl()}/v1/domains`, { headers: await signedHeaders("x".repeat(48)) });
    expect(response.status).toBe(401);
    expect((await errorOf(response)).message).toContain("bad-signature");
  });

  it("refuses a request with a forged identity and no valid signature", async () => {
    const headers = await signedHeaders(env.ORIGIN_SIGNING_SECRET as string);
    headers["X-MoMail-Account-Id"] = "acct_forged";
    const forged = await fetch(`${demoUrl()}/v1/domains`, { headers });
    expect(forged.status).toBe(401);
    expect((await errorOf(forged)).message).toContain("bad-signature");
    const malformed = await fetch(`${demoUrl()}/v1/domains`, {
      headers: { "X-MoMail-Account-Id": "acct_forged", "X-MoMail-Signature": "v1=00" },
    });
    expect(malformed.status).toBe(401);
  });

  it("receives the gateway's webhooks at /webhooks and lists them, as npm start wires the demo account", async () => {
    const account = await createAccount({ name: "Demo hooks" });
    await admin("PATCH", `/accounts/${account.id}`, { webhookUrl: `${demoUrl()}/webhooks` });
    const key = await createKey(account.id, { name: "Heard at the origin" });
    const listed = async () =>
      ((await (await fetch(`${demoUrl()}/webhooks`)).json()) as { data: Array<Record<string, unknown>> }).data;
    // 25 s: on a loaded machine a first attempt that times out is retried 10 s later (consumer.ts).
    await vi.waitUntil(async () => (await listed()).some((hook) => hook.accountId === account.id), {
      timeout: 25_000,
      interval: 100,
    });
    const [hook] = (await listed()).filter((received) => received.accountId === account.id);
    expect(hook).toMatchObject({ type: "key.created", id: expect.stringMatching(/^evt_/), signature: "unchecked" });
    expect(key.id).toMatch(/^key_/);
  }, 30_000);
});
