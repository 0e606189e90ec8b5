/**
 * A key's mode and restrictions in the admin API (CONTRACT §4, §8): set at
 * creation, listed, changed by a PATCH (never the mode), copied by a
 * rotation, stored in one canonical form (what is stored is what is
 * returned), each invalid entry refused with a 400 that names it, and
 * described in the OpenAPI document.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_ALLOWED_IPS, MAX_SENDER_DOMAINS } from "../../src/restrictions/rules";
import { admin, createAccount, createKey, dataOf, errorOf, gateway } from "../support/helpers";

/** The key's row as D1 holds it. */
const row = (id: string) =>
  env.DB.prepare("SELECT mode, allowed_ips, allowed_sender_domains FROM api_keys WHERE id = ?")
    .bind(id)
    .first<{ mode: string; allowed_ips: string | null; allowed_sender_domains: string | null }>();

/** A create that must be refused: its 400's message, and no key written. */
async function refusedCreate(body: Record<string, unknown>): Promise<string> {
  const account = await createAccount();
  const response = await admin("POST", `/accounts/${account.id}/keys`, { name: "k", ...body });
  expect(response.status).toBe(400);
  const count = await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE account_id = ?")
    .bind(account.id)
    .first<{ n: number }>();
  expect(count?.n).toBe(0);
  return (await errorOf(response)).message;
}

describe("creating a key with a mode and restrictions", () => {
  it("defaults to a live key with no restriction", async () => {
    const key = await createKey((await createAccount()).id);
    expect(key).toMatchObject({ mode: "live", allowedIps: null, allowedSenderDomains: null });
    expect(await row(key.id)).toEqual({ mode: "live", allowed_ips: null, allowed_sender_domains: null });
  });

  it("stores and returns each entry in its canonical form, once", async () => {
    const key = await createKey((await createAccount()).id, {
      mode: "test",
      allowedIps: ["203.0.113.7/32", "2001:DB8:0:0:0:0:0:0/32", "::ffff:198.51.100.0/120", "203.0.113.7"],
      allowedSenderDomains: ["Mail.ACME.test.", "bücher.example", "acme.test"],
    });
    const expected = {
      mode: "test",
      allowedIps: ["203.0.113.7", "2001:db8::/32", "198.51.100.0/24"],
      allowedSenderDomains: ["mail.acme.test", "xn--bcher-kva.example", "acme.test"],
    };
    expect(key).toMatchObject(expected);
    expect(await row(key.id)).toEqual({
      mode: "test",
      allowed_ips: JSON.stringify(expected.allowedIps),
      allowed_sender_domains: JSON.stringify(expected.allowedSenderDomains),
    });
  });

  it("lists each key's mode and restrictions", async () => {
    const account = await createAccount();
    const key = await createKey(account.id, { mode: "test", allowedIps: ["10.0.0.0/8"] });
    const listed = await dataOf<Array<Record<string, unknown>>>(await admin("GET", `/accounts/${account.id}/keys`));
    expect(listed.find((k) => k.id === key.id)).toMatchObject({
      mode: "test",
      allowedIps: ["10.0.0.0/8"],
      allowedSenderDomains: null,
    });
  });

  it("refuses each invalid entry with a 400 that names it, and writes nothing", async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        { allowedIps: ["10.0.0.1", "10.0.0.0/8", "10.0.0.300"] },
        'allowedIps[2]: "10.0.0.300" is not an IPv4 or IPv6 address or CIDR range',
      ],
      [{ allowedIps: ["010.0.0.1"] }, 'allowedIps[0]: "010.0.0.1" is not an IPv4 or IPv6 address or CIDR range'],
      [{ allowedIps: ["fe80::1%eth0"] }, 'allowedIps[0]: "fe80::1%eth0" is not an IPv4 or IPv6 address or CIDR range'],
      [
        { allowedIps: ["10.0.0.5/24"] },
        'allowedIps[0]: "10.0.0.5/24" has bits set after its prefix length: the range is "10.0.0.0/24"',
      ],
      [{ allowedIps: ["10.0.0.1", 7] }, "allowedIps[1]: must be a string"],
      [{ allowedIps: [] }, "allowedIps: must list at least one address or range, or be null to allow any"],
      [{ allowedIps: "10.0.0.1" }, "allowedIps: Invalid input: expected array, received string"],
      [
        { allowedIps: Array.from({ length: MAX_ALLOWED_IPS + 1 }, (_, i) => `10.0.0.${i}`) },
        `allowedIps: must list at most ${MAX_ALLOWED_IPS} addresses or ranges`,
      ],
      [
        { allowedSenderDomains: ["acme.test", "acme..test"] },
        'allowedSenderDomains[1]: "acme..test" is not a domain name',
      ],
      [{ allowedSenderDomains: ["acme"] }, 'allowedSenderDomains[0]: "acme" is not a domain name'],
      [
        { allowedSenderDomains: ["192.0.2.1"] },
        'allowedSenderDomains[0]: "192.0.2.1" is an IP address, not a domain name',
      ],
      [
        { allowedSenderDomains: ["*.acme.test"] },
        'allowedSenderDomains[0]: "*.acme.test": write "acme.test", which allows its subdomains too',
      ],
      [
        { allowedSenderDomains: ["ａｃｍｅ.test"] },
        'allowedSenderDomains[0]: "ａｃｍｅ.test" is not a domain name as written: it reads as "acme.test"',
      ],
      [
        { allowedSenderDomains: Array.from({ length: MAX_SENDER_DOMAINS + 1 }, (_, i) => `d${i}.acme.test`) },
        `allowedSenderDomains: must list at most ${MAX_SENDER_DOMAINS} domains`,
      ],
      [{ allowedSenderDomains: [] }, "allowedSenderDomains: must list at least one domain, or be null to allow any"],
      [{ mode: "sandbox" }, 'mode: must be "live" or "test"'],
    ];
    for (const [body, message] of cases) expect(await refusedCreate(body), JSON.stringify(body)).toBe(message);
  });
});

describe("changing a key's restrictions", () => {
  it("sets, changes and clears them with a PATCH, answering the key as stored", async () => {
    const account = await createAccount();
    const key = await createKey(account.id);
    const path = `/accounts/${account.id}/keys/${key.id}`;
    const set = await admin("PATCH", path, { allowedIps: ["2001:db8::1/128"], allowedSenderDomains: ["ACME.test"] });
    expect(set.status).toBe(200);
    expect(await dataOf(set)).toMatchObject({ allowedIps: ["2001:db8::1"], allowedSenderDomains: ["acme.test"] });
    const changed = await dataOf(await admin("PATCH", path, { allowedSenderDomains: ["other.test"] }));
    expect(changed).toMatchObject({ allowedIps: ["2001:db8::1"], allowedSenderDomains: ["other.test"] });
    const cleared = await dataOf(await admin("PATCH", path, { allowedIps: null, allowedSenderDomains: null }));
    expect(cleared).toMatchObject({ allowedIps: null, allowedSenderDomains: null, mode: "live" });
  });

  it("refuses to change the mode with a 400 naming the field, and changes nothing", async () => {
    const account = await createAccount();
    const key = await createKey(account.id, { mode: "test" });
    const response = await admin("PATCH", `/accounts/${account.id}/keys/${key.id}`, { mode: "live", name: "x" });
    expect(response.status).toBe(400);
    expect((await errorOf(response)).message).toMatch(/^mode: cannot be changed/);
    expect(await row(key.id)).toMatchObject({ mode: "test" });
    const audit = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE account_id = ? AND action = ?")
      .bind(account.id, "key.updated")
      .first<{ n: number }>();
    expect(audit?.n).toBe(0);
  });

  it("refuses an invalid entry in a PATCH the same way, and keeps the old list", async () => {
    const account = await createAccount();
    const key = await createKey(account.id, { allowedIps: ["10.0.0.0/8"] });
    const response = await admin("PATCH", `/accounts/${account.id}/keys/${key.id}`, {
      allowedIps: ["10.0.0.0/8", "not an address"],
    });
    expect((await errorOf(response)).message).toBe(
      'allowedIps[1]: "not an address" is not an IPv4 or IPv6 address or CIDR range',
    );
    expect(await row(key.id)).toMatchObject({ allowed_ips: '["10.0.0.0/8"]' });
  });

  it("writes one key.updated audit entry per change", async () => {
    const account = await createAccount();
    const key = await createKey(account.id);
    await admin("PATCH", `/accounts/${account.id}/keys/${key.id}`, { allowedIps: ["10.0.0.1"] });
    const entries = await env.DB.prepare("SELECT target_id FROM audit_log WHERE account_id = ? AND action = ?")
      .bind(account.id, "key.updated")
      .all<{ target_id: string }>();
    expect(entries.results.map((e) => e.target_id)).toEqual([key.id]);
  });
});

describe("rotating a key", () => {
  it("gives the new key the old one's mode and restrictions", async () => {
    const account = await createAccount();
    const key = await createKey(account.id, {
      mode: "test",
      allowedIps: ["203.0.113.0/24"],
      allowedSenderDomains: ["acme.test"],
    });
    const rotated = await dataOf(await admin("POST", `/accounts/${account.id}/keys/${key.id}/rotate`, {}));
    expect(rotated).toMatchObject({
      mode: "test",
      allowedIps: ["203.0.113.0/24"],
      allowedSenderDomains: ["acme.test"],
    });
  });
});

describe("the OpenAPI document", () => {
  it("describes the mode and the restrictions on create, update and the key", async () => {
    const doc = (await (await gateway("/admin/openapi.json")).json()) as {
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>>;
      components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> };
    };
    const body = (path: string, method: string) =>
      (doc.paths[path]?.[method]?.requestBody?.content["application/json"]?.schema ?? {}) as {
        properties: Record<string, Record<string, unknown>>;
      };
    const create = body("/accounts/{accountId}/keys", "post").properties;
    expect(create.mode).toMatchObject({ enum: ["live", "test"] });
    expect(create.allowedIps).toMatchObject({ type: expect.anything(), maxItems: MAX_ALLOWED_IPS });
    expect(create.allowedSenderDomains).toMatchObject({ maxItems: MAX_SENDER_DOMAINS });
    const update = body("/accounts/{accountId}/keys/{keyId}", "patch").properties;
    expect(Object.keys(update)).toEqual(expect.arrayContaining(["allowedIps", "allowedSenderDomains"]));
    const key = doc.components.schemas.Key?.properties ?? {};
    expect(Object.keys(key)).toEqual(expect.arrayContaining(["mode", "allowedIps", "allowedSenderDomains"]));
  });
});
