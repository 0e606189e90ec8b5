import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { accountWithKey, gatewayWith } from "../support/helpers";

const demoUrl = () => `http://127.0.0.1:${env.DEMO_ORIGIN_PORT}`;

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
    expect(body.caller).toEqual({ accountId: account.id, keyId: key.id });
  });

  it("refuses a request that did not come through the gateway", async () => {
    const response = await fetch(`${demoUrl()}/v1/domains`, {
      headers: { "X-MoMail-Account-Id": "acct_forged", "X-MoMail-Signature": "v1=00", "X-MoMail-Timestamp": "1" },
    });
    expect(response.status).toBe(401);
  });
});
