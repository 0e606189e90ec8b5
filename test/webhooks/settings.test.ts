/**
 * Setting an account's webhook (CONTRACT §4 PATCH, §7): an https URL to a
 * public host (http://localhost and 127.0.0.1 only in development), a new
 * secret shown once per URL set and stored sealed, and null to stop.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../src/config";
import { newWebhookSecret, openSecret, sealSecret } from "../../src/webhooks/secret";
import { webhookUrlProblem } from "../../src/webhooks/url";
import { admin, createAccount, dataOf, errorOf } from "../support/helpers";
import { receiverUrl } from "../support/webhooks";

const storedOf = (accountId: string) =>
  env.DB.prepare("SELECT webhook_url, webhook_secret FROM accounts WHERE id = ?")
    .bind(accountId)
    .first<{ webhook_url: string | null; webhook_secret: string | null }>();

describe("PATCH /admin/accounts/{id} with webhookUrl", () => {
  it("sets the URL and answers a new webhookSecret, shown in that response only and stored sealed", async () => {
    const account = await createAccount();
    const { url } = receiverUrl();
    const data = await dataOf<{ webhookUrl: string; webhookSecret: string }>(
      await admin("PATCH", `/accounts/${account.id}`, { webhookUrl: url }),
    );
    expect(data).toMatchObject({
      id: account.id,
      webhookUrl: url,
      webhookSecret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    const shown = await dataOf<Record<string, unknown>>(await admin("GET", `/accounts/${account.id}`));
    expect(shown.webhookUrl).toBe(url);
    expect(JSON.stringify(shown)).not.toContain(data.webhookSecret);
    const renamed = await dataOf<Record<string, unknown>>(
      await admin("PATCH", `/accounts/${account.id}`, { name: "x" }),
    );
    expect(renamed).not.toHaveProperty("webhookSecret");
    const stored = await storedOf(account.id);
    expect(stored?.webhook_secret).toMatch(/^v1\.\d+\./);
    expect(stored?.webhook_secret).not.toContain(data.webhookSecret);
    expect(await openSecret(getConfig(env), account.id, stored?.webhook_secret as string)).toBe(data.webhookSecret);
  });

  it("issues a different secret every time a URL is set, and null removes URL and secret", async () => {
    const account = await createAccount();
    const { url } = receiverUrl();
    const first = await dataOf<{ webhookSecret: string }>(
      await admin("PATCH", `/accounts/${account.id}`, { webhookUrl: url }),
    );
    const second = await dataOf<{ webhookSecret: string }>(
      await admin("PATCH", `/accounts/${account.id}`, { webhookUrl: url }),
    );
    expect(second.webhookSecret).not.toBe(first.webhookSecret);
    const cleared = await dataOf<Record<string, unknown>>(
      await admin("PATCH", `/accounts/${account.id}`, { webhookUrl: null }),
    );
    expect(cleared.webhookUrl).toBeNull();
    expect(await storedOf(account.id)).toEqual({ webhook_url: null, webhook_secret: null });
  });

  it.each([
    ["plain http to a public host", "http://hooks.example.com/x", "must be an https:// URL"],
    ["a private address", "https://10.1.2.3/hooks", "private"],
    ["a private address in hex", "https://0xc0.0xa8.1.1/", "private"],
    ["the metadata address", "https://169.254.169.254/latest", "private"],
    ["an IPv6 unique-local address", "https://[fd12::1]/", "private"],
    ["an IPv4-mapped loopback", "https://[::ffff:127.0.0.1]/", "private"],
    ["an internal name", "https://vault.internal/hooks", "public host"],
    ["a name without a dot", "https://intranet/hooks", "public host"],
    ["credentials in the URL", "https://user:pw@hooks.example.com/", "credentials"],
    ["another scheme", "ftp://hooks.example.com/", "https://"],
    ["not a URL", "hooks.example.com", "https://"],
    ["an overlong URL", `https://hooks.example.com/${"a".repeat(2100)}`, "2048"],
  ])("refuses %s with 400 naming webhookUrl, and changes nothing", async (_, webhookUrl, message) => {
    const account = await createAccount();
    const response = await admin("PATCH", `/accounts/${account.id}`, { webhookUrl, name: "Not renamed" });
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.message).toMatch(/^webhookUrl: /);
    expect(error.message).toContain(message);
    expect(await storedOf(account.id)).toEqual({ webhook_url: null, webhook_secret: null });
    expect((await dataOf<{ name: string }>(await admin("GET", `/accounts/${account.id}`))).name).toBe("Test account");
  });
});

describe("which URLs a webhook may have", () => {
  it("allows http://localhost and 127.0.0.1 in development only", () => {
    for (const url of ["http://localhost:3000/hooks", "http://127.0.0.1:8788/webhooks", "http://[::1]:9/x"]) {
      expect(webhookUrlProblem(url, true)).toBeNull();
      expect(webhookUrlProblem(url, false)).not.toBeNull();
    }
    expect(webhookUrlProblem("https://localhost/hooks", false)).toBe("must name a public host");
    expect(webhookUrlProblem("http://10.0.0.1/hooks", true)).not.toBeNull();
  });

  it("allows https to public names and addresses", () => {
    for (const url of [
      "https://hooks.acme.test/momail",
      "https://8.8.8.8/x",
      "https://[2606:4700::1111]/",
      "https://[::ffff:808:808]/",
    ]) {
      expect(webhookUrlProblem(url, false)).toBeNull();
    }
  });

  it("refuses every reserved IPv4 range, however the address is written", () => {
    for (const host of [
      "0.0.0.0",
      "10.0.0.1",
      "100.64.0.1",
      "127.0.0.1",
      "169.254.1.1",
      "172.16.0.1",
      "172.31.255.255",
      "192.0.0.8",
      "192.168.0.1",
      "198.18.0.1",
      "224.0.0.1",
      "255.255.255.255",
      "2130706433",
      "0x7f000001",
      "017700000001",
    ]) {
      expect(webhookUrlProblem(`https://${host}/`, false), host).toMatch(/private/);
    }
    expect(webhookUrlProblem("https://172.32.0.1/", false)).toBeNull();
  });
});

describe("the sealed webhook secret", () => {
  it("opens only for the account it was sealed for", async () => {
    const config = getConfig(env);
    const secret = newWebhookSecret();
    const sealed = await sealSecret(config, "acct_a", secret);
    expect(await openSecret(config, "acct_a", sealed)).toBe(secret);
    expect(await openSecret(config, "acct_b", sealed)).toBeNull();
    expect(await openSecret(config, "acct_a", `${sealed.slice(0, -2)}AA`)).toBeNull();
  });
});
