/**
 * `POST /secret-scanning/github` (CONTRACT §7), against a stand-in for
 * GitHub's public keys (a real local HTTP server) and reports signed in the
 * test with a P-256 key of its own: the signature is checked over the raw
 * body, each token is labelled, and a leaked key is revoked (or only
 * flagged), audited and announced once.
 */
import { env } from "cloudflare:workers";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/crypto";
import { auditLogOf } from "../support/audit";
import { countingEnv } from "../support/counting-env";
import {
  failingKeysUrl,
  found,
  type GithubKey,
  keyFetches,
  newGithubKey,
  publishKeys,
  resetKeyCache,
  sendReport,
} from "../support/github";
import { accountWithKey, admin, call, createKey, dataOf, errorOf, forgedKey, unstoredKey } from "../support/helpers";
import { accountWithWebhook, deliveriesOf } from "../support/webhooks";

let github: GithubKey;

beforeAll(async () => {
  github = await newGithubKey();
});

beforeEach(async () => {
  await publishKeys([github]);
  await resetKeyCache();
});

/** A body and GitHub's signature headers for it. */
async function signed(tokens: unknown[], key = github) {
  const body = JSON.stringify(tokens);
  return { body, headers: await key.sign(body) };
}

const keyRow = (id: string) =>
  env.DB.prepare("SELECT revoked_at, leaked_at FROM api_keys WHERE id = ?")
    .bind(id)
    .first<{ revoked_at: number | null; leaked_at: number | null }>();

describe("a valid report", () => {
  it("answers one {token_hash, token_type, label} per token: true_positive for keys the gateway issued", async () => {
    const live = await accountWithKey();
    const revoked = await accountWithKey();
    await admin("DELETE", `/accounts/${revoked.account.id}/keys/${revoked.key.id}`);
    const expired = await accountWithKey({ expiresAt: new Date(Date.now() + 1000).toISOString() });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const tokens = [live.key.key, forgedKey(), await unstoredKey(), "ghp_notours", revoked.key.key, expired.key.key];
    const { body, headers } = await signed(tokens.map((token) => found(token)));
    const response = await sendReport(body, headers);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const labels = [
      "true_positive",
      "false_positive",
      "false_positive",
      "false_positive",
      "true_positive",
      "true_positive",
    ];
    expect(await response.json()).toEqual(
      await Promise.all(
        tokens.map(async (token, i) => ({
          token_hash: await sha256Hex(token),
          token_type: "momail_api_key",
          label: labels[i],
        })),
      ),
    );
  });

  it("revokes a reported live key: 401 everywhere from the moment the answer is sent", async () => {
    const { account, key } = await accountWithKey();
    expect((await call(key.key)).status).toBe(200);
    const { body, headers } = await signed([found(key.key)]);
    expect((await sendReport(body, headers)).status).toBe(200);
    expect((await call(key.key)).status).toBe(401);
    expect(await keyRow(key.id)).toEqual({ revoked_at: expect.any(Number), leaked_at: expect.any(Number) });
    const [entry] = await auditLogOf(account.id);
    expect(entry).toMatchObject({
      action: "key.leaked",
      actor: { type: "system", reason: "github-secret-scanning" },
      target: { type: "key", id: key.id },
      ip: "140.82.115.1",
      details: { url: "https://github.com/acme/app/blob/abc123/.env", source: "commit" },
    });
  });

  it("records one key.leaked entry and one key.leaked webhook, and changes nothing on a repeated report", async () => {
    const { account } = await accountWithWebhook("fail=999");
    const key = await createKey(account.id, { name: "Pushed to GitHub" });
    const { body, headers } = await signed([found(key.key), found(key.key, "https://gist.github.com/x", "gist")]);
    const first = await (await sendReport(body, headers)).json();
    const auditAfterFirst = await auditLogOf(account.id);
    const rowAfterFirst = await keyRow(key.id);
    const again = await signed([found(key.key, "https://github.com/other/repo", "commit")]);
    const second = await (await sendReport(again.body, again.headers)).json();
    expect(second).toEqual([(first as unknown[])[0]]);
    expect(await auditLogOf(account.id)).toEqual(auditAfterFirst);
    expect(await keyRow(key.id)).toEqual(rowAfterFirst);
    expect(auditAfterFirst.filter((entry) => entry.action === "key.leaked")).toHaveLength(1);
    const leaked = (await deliveriesOf(account.id)).filter((row) => row.type === "key.leaked");
    expect(leaked).toHaveLength(1);
    expect(JSON.parse(leaked[0]?.event as string).data).toEqual({
      key: { id: key.id, name: "Pushed to GitHub", prefix: key.prefix },
      revokedAt: expect.any(String),
      revoked: true,
      url: "https://github.com/acme/app/blob/abc123/.env",
      source: "commit",
    });
  });

  it("marks a key revoked before it was reported, keeping its revocation time, with one key.leaked entry", async () => {
    const { account, key } = await accountWithKey();
    await admin("DELETE", `/accounts/${account.id}/keys/${key.id}`);
    const revokedAt = (await keyRow(key.id))?.revoked_at;
    const { body, headers } = await signed([found(key.key)]);
    await Promise.all([sendReport(body, headers), sendReport(body, headers)]);
    expect(await keyRow(key.id)).toEqual({ revoked_at: revokedAt, leaked_at: expect.any(Number) });
    expect((await auditLogOf(account.id)).filter((entry) => entry.action === "key.leaked")).toHaveLength(1);
  });

  it("only flags the key with LEAKED_KEY_ACTION=notify: it keeps working, and the admin API shows leakedAt", async () => {
    const { account, key } = await accountWithKey();
    const gw = countingEnv({ LEAKED_KEY_ACTION: "notify" });
    const { body, headers } = await signed([found(key.key)]);
    const response = await gw.fetch("/secret-scanning/github", { method: "POST", headers, body });
    expect(await response.json()).toEqual([expect.objectContaining({ label: "true_positive" })]);
    expect((await call(key.key)).status).toBe(200);
    const [listed] = await dataOf<Array<{ id: string; leakedAt: string | null }>>(
      await admin("GET", `/accounts/${account.id}/keys`),
    );
    expect(listed).toMatchObject({ id: key.id, leakedAt: expect.any(String) });
    expect((await auditLogOf(account.id))[0]).toMatchObject({ action: "key.leaked", actor: { type: "system" } });
  });
});

describe("a report that is not GitHub's", () => {
  async function expectRefused(response: Response, keyId: string) {
    expect(response.status).toBe(401);
    expect((await errorOf(response)).code).toBe("UNAUTHORIZED");
    expect(await keyRow(keyId)).toEqual({ revoked_at: null, leaked_at: null });
  }

  it("is refused with 401 and changes nothing: missing headers, another key's signature, a tampered body", async () => {
    const { key } = await accountWithKey();
    const { body, headers } = await signed([found(key.key)]);
    await expectRefused(await sendReport(body, {}), key.id);
    await expectRefused(await sendReport(body, { "Github-Public-Key-Identifier": github.keyId }), key.id);
    const impostor = await newGithubKey(github.keyId);
    await expectRefused(await sendReport(body, await impostor.sign(body)), key.id);
    await expectRefused(await sendReport(body.replace("commit", "commiT"), headers), key.id);
    await expectRefused(await sendReport(`${body} `, headers), key.id);
    await expectRefused(
      await sendReport(body, { ...headers, "Github-Public-Key-Signature": "not base64 at all!" }),
      key.id,
    );
    expect((await call(key.key)).status).toBe(200);
  });

  it("is refused with 401 when signed by a key GitHub does not list, fetching the list at most once a minute", async () => {
    const { key } = await accountWithKey();
    const stranger = await newGithubKey();
    const { body } = await signed([found(key.key)]);
    const before = await keyFetches();
    expect((await sendReport(body, await stranger.sign(body))).status).toBe(401);
    expect((await sendReport(body, await (await newGithubKey()).sign(body))).status).toBe(401);
    expect((await sendReport(body, await (await newGithubKey()).sign(body))).status).toBe(401);
    expect((await keyFetches()) - before).toBe(1);
    expect(await keyRow(key.id)).toEqual({ revoked_at: null, leaked_at: null });
  });

  it.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "__defineGetter__"])(
    "is refused with 401, not 500, when its key identifier is %s, a name every object has",
    async (keyId) => {
      const { key } = await accountWithKey();
      const { body, headers } = await signed([found(key.key)]);
      await expectRefused(await sendReport(body, { ...headers, "Github-Public-Key-Identifier": keyId }), key.id);
      // Again with the list cached: still a name GitHub does not list.
      await expectRefused(await sendReport(body, { ...headers, "Github-Public-Key-Identifier": keyId }), key.id);
      expect((await call(key.key)).status).toBe(200);
    },
  );

  it("fetches a list that cannot be fetched at most once a minute, whatever arrives, answering 503 meanwhile", async () => {
    const { key } = await accountWithKey();
    const { body, headers } = await signed([found(key.key)]);
    const gw = countingEnv({ GITHUB_SECRET_SCANNING_KEYS_URL: failingKeysUrl() });
    const send = (extra: Record<string, string>) =>
      gw.fetch("/secret-scanning/github", { method: "POST", headers: { ...headers, ...extra }, body });
    const before = await keyFetches("failing");
    const arrivals = [
      {},
      { "Github-Public-Key-Identifier": "constructor" },
      { "Github-Public-Key-Identifier": "unknown-key", "Github-Public-Key-Signature": "bm90IGEgc2lnbmF0dXJl" },
      { "Github-Public-Key-Signature": "AAAA" },
    ];
    for (let i = 0; i < 10; i++) {
      const response = await send(arrivals[i % arrivals.length] as Record<string, string>);
      expect(response.status).toBe(503);
      expect((await errorOf(response)).code).toBe("SERVICE_UNAVAILABLE");
    }
    expect((await keyFetches("failing")) - before).toBe(1);
    // A minute later, one more try, and again only one.
    await resetKeyCache(61_000);
    for (let i = 0; i < 5; i++)
      expect((await send(arrivals[i % arrivals.length] as Record<string, string>)).status).toBe(503);
    expect((await keyFetches("failing")) - before).toBe(2);
    expect(await keyRow(key.id)).toEqual({ revoked_at: null, leaked_at: null });
  });

  it("keeps answering from a list fetched within the hour when a refetch fails", async () => {
    const { key } = await accountWithKey();
    const { body, headers } = await signed([found(key.key)]);
    expect((await sendReport("[]", await github.sign("[]"))).status).toBe(200);
    await resetKeyCache(61_000);
    const gw = countingEnv({ GITHUB_SECRET_SCANNING_KEYS_URL: failingKeysUrl() });
    const before = await keyFetches("failing");
    const stranger = await newGithubKey();
    const post = (h: Record<string, string>) =>
      gw.fetch("/secret-scanning/github", { method: "POST", headers: h, body });
    expect((await post(await stranger.sign(body))).status).toBe(401);
    expect((await post(await stranger.sign(body))).status).toBe(401);
    expect((await post(headers)).status).toBe(200);
    expect((await keyFetches("failing")) - before).toBe(1);
  });

  it("accepts GitHub's new key once the list is refetched after a minute (key rotation)", async () => {
    const { key } = await accountWithKey();
    const { body, headers } = await signed([found(key.key)]);
    const rotated = await newGithubKey();
    await sendReport("[]", await github.sign("[]"));
    await publishKeys([rotated, github]);
    const fresh = await rotated.sign(body);
    expect((await sendReport(body, fresh)).status).toBe(401);
    await resetKeyCache(61_000);
    expect((await sendReport(body, fresh)).status).toBe(200);
    expect((await sendReport("[]", await github.sign("[]"))).status).toBe(200);
    expect(headers["Github-Public-Key-Identifier"]).toBe(github.keyId);
  });

  it("answers 400 for a validly signed body that is not JSON or not a report", async () => {
    for (const text of ["[{", '{"token": "x"}', '[{"token": 5}]', "\u0000"]) {
      const response = await sendReport(text, await github.sign(text));
      expect(response.status, text).toBe(400);
      expect((await errorOf(response)).code).toBe("BAD_REQUEST");
    }
  });
});

describe("a key issued under a prefix secret since removed", () => {
  /** The gateway reconfigured: a new KEY_PREFIX_SECRET, the one the test keys were issued under gone. */
  const rotated = { KEY_PREFIX_SECRET: "prefix-secret-b-the-only-one-configured-now", KEY_PREFIX_SECRETS_RETIRED: "" };

  it("is true_positive and revoked when GitHub reports it, with one key.leaked entry", async () => {
    const { account, key } = await accountWithKey();
    const gw = countingEnv(rotated);
    // At the edge the key is no longer told from a forgery...
    expect((await gw.fetch("/v1/domains", { headers: { "X-API-Key": key.key } })).status).toBe(401);
    // ...but a report still finds it by its prefix and secret.
    const { body, headers } = await signed([found(key.key)]);
    const report = () => gw.fetch("/secret-scanning/github", { method: "POST", headers, body });
    const response = await report();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual([
      { token_hash: await sha256Hex(key.key), token_type: "momail_api_key", label: "true_positive" },
    ]);
    expect(await keyRow(key.id)).toEqual({ revoked_at: expect.any(Number), leaked_at: expect.any(Number) });
    const leaked = (await auditLogOf(account.id)).filter((entry) => entry.action === "key.leaked");
    expect(leaked).toEqual([
      expect.objectContaining({
        actor: { type: "system", reason: "github-secret-scanning" },
        target: { type: "key", id: key.id },
      }),
    ]);
    // Restoring the secret it was issued under revives nothing; a repeated report adds nothing.
    expect((await call(key.key)).status).toBe(401);
    expect((await (await report()).json()) as unknown[]).toEqual([expect.objectContaining({ label: "true_positive" })]);
    expect((await auditLogOf(account.id)).filter((entry) => entry.action === "key.leaked")).toHaveLength(1);
  });

  it("is true_positive and revoked when an operator reports it", async () => {
    const { account, key } = await accountWithKey();
    const response = await countingEnv(rotated).fetch("/admin/leaked-keys", {
      method: "POST",
      headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}`, "Content-Type": "application/json" },
      body: JSON.stringify({ keys: [key.key] }),
    });
    expect(await dataOf(response)).toEqual([{ prefix: key.prefix, label: "true_positive", revoked: true }]);
    expect((await call(key.key)).status).toBe(401);
    expect((await auditLogOf(account.id)).filter((entry) => entry.action === "key.leaked")).toHaveLength(1);
  });

  it("is told from a token with its prefix and another secret, which stays a false positive", async () => {
    const { key } = await accountWithKey();
    const { body, headers } = await signed([found(forgedKey(key.prefix))]);
    const response = await countingEnv(rotated).fetch("/secret-scanning/github", { method: "POST", headers, body });
    expect(await response.json()).toEqual([expect.objectContaining({ label: "false_positive" })]);
    expect(await keyRow(key.id)).toEqual({ revoked_at: null, leaked_at: null });
    expect((await call(key.key)).status).toBe(200);
  });
});

describe("large reports", () => {
  it("labels 1,000 junk tokens (malformed, bad checksum) with no storage lookup at all", async () => {
    const badChecksum = (key: string) => `${key.slice(0, -1)}${key.endsWith("0") ? "1" : "0"}`;
    const tokens = Array.from({ length: 1000 }, (_, i) =>
      found(i % 2 ? badChecksum(forgedKey()) : `mk_${"x".repeat(i % 40)}`),
    );
    const { body, headers } = await signed(tokens);
    const gw = countingEnv();
    const response = await gw.fetch("/secret-scanning/github", { method: "POST", headers, body });
    expect(response.status).toBe(200);
    const labels = ((await response.json()) as Array<{ label: string }>).map((entry) => entry.label);
    expect(labels).toEqual(Array(1000).fill("false_positive"));
    expect(gw.counts.d1).toBe(0);
  });

  it("looks 1,000 well-formed tokens the gateway never issued up in one D1 batch", async () => {
    const { body, headers } = await signed(Array.from({ length: 1000 }, () => found(forgedKey())));
    const gw = countingEnv();
    const response = await gw.fetch("/secret-scanning/github", { method: "POST", headers, body });
    const labels = ((await response.json()) as Array<{ label: string }>).map((entry) => entry.label);
    expect(labels).toEqual(Array(1000).fill("false_positive"));
    // 10 statements of 100 prefixes, sent as one batch.
    expect(gw.counts.d1).toBeLessThanOrEqual(11);
  });

  it("handles 1,000 tokens with 20 leaked keys among them within 30 s, looking prefixes up in batches", async () => {
    const started = Date.now();
    const leaked = await Promise.all(Array.from({ length: 20 }, () => accountWithKey()));
    const issued = await Promise.all(Array.from({ length: 480 }, () => unstoredKey()));
    const tokens = [...leaked.map(({ key }) => key.key), ...issued, ...Array.from({ length: 500 }, () => forgedKey())];
    const { body, headers } = await signed(tokens.map((token) => found(token)));
    const gw = countingEnv();
    const reportStarted = Date.now();
    const response = await gw.fetch("/secret-scanning/github", { method: "POST", headers, body });
    expect(response.status).toBe(200);
    expect(Date.now() - reportStarted).toBeLessThan(30_000);
    const labels = ((await response.json()) as Array<{ label: string }>).map((entry) => entry.label);
    expect(labels.filter((label) => label === "true_positive")).toHaveLength(20);
    expect(labels.slice(0, 20).every((label) => label === "true_positive")).toBe(true);
    // 500 issued prefixes: 5 statements in one batch, then a few statements per leaked key, never one per token.
    expect(gw.counts.d1).toBeLessThan(6 + 20 * 6);
    for (const { key } of leaked.slice(0, 3)) expect((await call(key.key)).status).toBe(401);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 90_000);
});

describe("POST /admin/leaked-keys", () => {
  it("handles an operator's report like GitHub's: one {prefix, label, revoked} per key, audited as the system", async () => {
    const { account, key } = await accountWithKey();
    const forged = forgedKey();
    const response = await admin("POST", "/leaked-keys", { keys: [key.key, forged, "nonsense"], source: "ticket 42" });
    expect(response.status).toBe(200);
    expect(await dataOf(response)).toEqual([
      { prefix: key.prefix, label: "true_positive", revoked: true },
      { prefix: forged.slice(3, 11), label: "false_positive", revoked: false },
      { prefix: null, label: "false_positive", revoked: false },
    ]);
    expect((await call(key.key)).status).toBe(401);
    expect((await auditLogOf(account.id))[0]).toMatchObject({
      action: "key.leaked",
      actor: { type: "system", reason: "leaked-keys-report" },
      details: { url: null, source: "ticket 42" },
    });
    // Reported again: the same answer, nothing more written.
    const entries = (await auditLogOf(account.id)).length;
    expect(await dataOf(await admin("POST", "/leaked-keys", { keys: [key.key] }))).toEqual([
      { prefix: key.prefix, label: "true_positive", revoked: true },
    ]);
    expect(await auditLogOf(account.id)).toHaveLength(entries);
  });

  it.each([
    ["no keys", { keys: [] }, "keys:"],
    ["a key that is not a string", { keys: [5] }, "keys[0]:"],
    ["an unknown field", { keys: ["x"], url: "y" }, "url: is not a known field"],
    ["a missing list", { source: "x" }, "keys: is required"],
  ])("refuses %s with 400 naming the field", async (_, body, message) => {
    const response = await admin("POST", "/leaked-keys", body);
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toContain(message);
  });
});
