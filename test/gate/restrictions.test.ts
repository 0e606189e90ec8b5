/**
 * Restrictions decided live (CONTRACT §4, §8): a PATCH of a key's allowed
 * IPs or sender domains applies to the very next request, in an isolate whose
 * cached record predates it (put back here, as another isolate would hold it:
 * the gate decides by its live policy, and asks for a sending request's
 * senders when that record did not say they were needed), and for a key that
 * held a lease (made busy first, as leases.test.ts does): the leases granted
 * after it carry the restrictions, and a request they answer with no round
 * trip is refused exactly as the gate would refuse it.
 */
import { describe, expect, it } from "vitest";
import { isolate } from "../../src/isolate";
import { countingEnv } from "../support/counting-env";
import { accountWithKey, admin, errorOf, type OriginRecord, sha256 } from "../support/helpers";

const FROM_IP = "This API key cannot be used from this IP address";
const FROM_DOMAIN = "This API key cannot send from this domain";

type Fetch = ReturnType<typeof countingEnv>["fetch"];

/** A GET /v1/domains from `ip` with `key`. */
const get = (fetch: Fetch, key: string, ip: string) =>
  fetch("/v1/domains", { headers: { "X-API-Key": key, "CF-Connecting-IP": ip } });

/** A POST /v1/emails of `body` with `key`. */
const email = (fetch: Fetch, key: string, body: unknown) =>
  fetch("/v1/emails", {
    method: "POST",
    headers: { "X-API-Key": key, "Content-Type": "application/json", "CF-Connecting-IP": "203.0.113.7" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

/** Sends `request` back to back for at least `ms`, returning the statuses (a key busy enough to hold leases). */
async function sustain(request: () => Promise<Response>, ms: number) {
  const statuses: number[] = [];
  const started = Date.now();
  while (Date.now() - started < ms) {
    const response = await request();
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  return statuses;
}

/** PATCHes the key, then puts back the record this isolate had before: what any other isolate still holds. */
async function patchBehindRecord(account: string, key: { id: string; prefix: string }, body: unknown) {
  const stale = isolate.records.get(key.prefix);
  expect(stale?.record?.id).toBe(key.id);
  expect((await admin("PATCH", `/accounts/${account}/keys/${key.id}`, body)).status).toBe(200);
  if (stale) isolate.records.set(key.prefix, stale, 60_000);
}

describe("a PATCH of a key's restrictions", () => {
  it("applies the allowed IPs at the next request, whatever the isolate's record says", async () => {
    const { account, key } = await accountWithKey();
    const gw = countingEnv();
    expect((await get(gw.fetch, key.key, "10.0.0.1")).status).toBe(200);
    await patchBehindRecord(account.id, key, { allowedIps: ["203.0.113.0/24"] });
    const refused = await get(gw.fetch, key.key, "10.0.0.1");
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).message).toBe(FROM_IP);
    expect((await get(gw.fetch, key.key, "203.0.113.9")).status).toBe(200);
    // Lifted again, with a record that still says restricted.
    await patchBehindRecord(account.id, key, { allowedIps: null });
    expect((await get(gw.fetch, key.key, "10.0.0.1")).status).toBe(200);
  });

  it("applies the allowed senders at the next request: the gate asks for the senders the record did not need", async () => {
    const { account, key } = await accountWithKey();
    const gw = countingEnv();
    expect((await email(gw.fetch, key.key, { from: "x@evil.test" })).status).toBe(200);
    await patchBehindRecord(account.id, key, { allowedSenderDomains: ["acme.test"] });
    const before = gw.counts.objects;
    const refused = await email(gw.fetch, key.key, { from: "x@evil.test" });
    expect(refused.status).toBe(403);
    expect((await errorOf(refused)).message).toBe(FROM_DOMAIN);
    // One call answered "needs senders" (nothing counted), the second decided with them.
    expect(gw.counts.objects - before).toBe(2);
    const body = JSON.stringify({ from: "Acme <a@mail.acme.test>", subject: "read once" });
    const admitted = await email(gw.fetch, key.key, body);
    expect(admitted.status).toBe(200);
    expect(((await admitted.json()) as OriginRecord).bodySha256).toBe(await sha256(new TextEncoder().encode(body)));
    expect((await email(gw.fetch, key.key, "not json")).status).toBe(400);
    // Lifted again, with a record that still says restricted: the body read for nothing is forwarded as it was.
    await patchBehindRecord(account.id, key, { allowedSenderDomains: null });
    expect((await email(gw.fetch, key.key, "not json")).status).toBe(200);
    expect((await email(gw.fetch, key.key, { from: "x@evil.test" })).status).toBe(200);
  });

  it("applies at the next request to a key holding a lease, and the next leases carry the restrictions", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 100_000, windowSeconds: 60 } });
    const gw = countingEnv();
    const allowed = () => get(gw.fetch, key.key, "203.0.113.7");
    expect((await sustain(allowed, 1200)).every((s) => s === 200)).toBe(true);
    await patchBehindRecord(account.id, key, { allowedIps: ["203.0.113.7"] });
    expect((await get(gw.fetch, key.key, "10.0.0.1")).status).toBe(403);
    // Busy again: leases granted under the new policy answer most requests here, refusals included.
    expect((await sustain(allowed, 1200)).every((s) => s === 200)).toBe(true);
    const before = gw.counts.objects;
    const statuses = await sustain(() => get(gw.fetch, key.key, "10.0.0.1"), 300);
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.every((s) => s === 403)).toBe(true);
    expect(gw.counts.objects - before).toBeLessThan(statuses.length / 4);
  });

  it("refuses a sending request from a lease as the gate would, and reads its body once", async () => {
    const { account, key } = await accountWithKey({ rateLimit: { limit: 100_000, windowSeconds: 60 } });
    const gw = countingEnv();
    const good = () => email(gw.fetch, key.key, { from: "a@acme.test" });
    expect((await sustain(good, 1200)).every((s) => s === 200)).toBe(true);
    await patchBehindRecord(account.id, key, { allowedSenderDomains: ["acme.test"] });
    expect((await email(gw.fetch, key.key, { from: "x@evil.test" })).status).toBe(403);
    expect((await sustain(good, 1200)).every((s) => s === 200)).toBe(true);
    const before = gw.counts.objects;
    const statuses = await sustain(() => email(gw.fetch, key.key, { from: "x@evil.test" }), 300);
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.every((s) => s === 403)).toBe(true);
    expect(gw.counts.objects - before).toBeLessThan(statuses.length / 4);
    // A body that cannot be checked is a 400 from a lease too (its gate call answers "needs senders").
    expect((await email(gw.fetch, key.key, "not json")).status).toBe(400);
  });
});
