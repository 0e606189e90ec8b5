/**
 * Load with nothing lost: thousands of requests, many in flight at once,
 * across several keys and accounts, while keys are created, rotated and
 * revoked through the admin API. Afterwards every request is accounted for:
 * what the gateway admitted reached the origin exactly once, with the right
 * identity; what it refused never reached it; no key was admitted past its
 * limit or after its revocation answered; every key created exists once.
 *
 * Order is measured with a counter (`tick`), not the clock: the test's code
 * runs one thing at a time, so "started after the revoke answered" is exact.
 * The clock is used only against grace periods, with a margin.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { isolate } from "../../src/isolate";
import { kvKey } from "../../src/keys/lookup";
import {
  admin,
  call,
  createAccount,
  createKey,
  dataOf,
  type KeyData,
  marker,
  originRequests,
  sleep,
  unstoredKey,
} from "../support/helpers";

/** Clients, each sending one request at a time, back to back. */
const CONCURRENCY = 64;
/** Requests sent at least (the load lasts until the admin changes are done)... */
const MIN_REQUESTS = 2_000;
/** ...and at most, whatever the admin changes take. */
const MAX_REQUESTS = 6_000;
/** A limit the load never reaches. */
const LARGE = { limit: 100_000, windowSeconds: 60 };
/** Grace period of the rotation that has one, in seconds. */
const GRACE_SECONDS = 3;
/** Slack for clock readings against a grace period's end. */
const CLOCK_MARGIN_MS = 50;

/** An exact order of events in this isolate. */
let seq = 0;
const tick = () => ++seq;

interface Change {
  startSeq: number;
  answerSeq: number;
  startedAt: number;
  answeredAt: number;
}

interface Handle {
  id: string;
  accountId: string;
  prefix: string;
  key: string;
  limit: number;
  windowSeconds: number;
  /** Only `domains:read`: POSTs and other resources get 403. */
  readOnly: boolean;
  revoked?: Change;
  rotated?: Change & { grace: number };
}

interface Sent {
  handle: Handle;
  mark: string;
  method: string;
  path: string;
  startSeq: number;
  endSeq: number;
  startedAt: number;
  endedAt: number;
  status: number;
  limit: string | null;
  remaining: number | null;
  retryAfter: string | null;
  /** For a 200: what the origin says it received. */
  echoed?: { path: string; keyId: string | undefined; signature: string };
}

/** A small pseudo-random sequence for the mix of keys, methods and origin delays. */
function random(seed: number) {
  let x = seed;
  return (n: number) => {
    x = (x * 1103515245 + 12345) >>> 0;
    return (x >>> 8) % n;
  };
}

function handleOf(data: KeyData, accountId: string, limit: { limit: number; windowSeconds: number }): Handle {
  return {
    id: data.id,
    accountId,
    prefix: data.prefix,
    key: data.key,
    limit: limit.limit,
    windowSeconds: limit.windowSeconds,
    readOnly: data.scopes.length === 1 && data.scopes[0] === "domains:read",
  };
}

/** Whether the request was refused as from a bad key (revoked, expired, unknown). */
const refusedKey = (s: Sent) => s.status === 401;

describe("load with nothing lost", () => {
  it("accounts for every request while keys are created, rotated and revoked under load", async () => {
    // Three accounts, eight keys: large and small limits, an inherited one, a short window, a read-only one.
    const a = await createAccount({ name: "Load A" });
    const b = await createAccount({ name: "Load B", rateLimit: { limit: 40, windowSeconds: 60 } });
    const c = await createAccount({ name: "Load C" });
    const accountLimit = { limit: 40, windowSeconds: 60 };
    const setup: Array<[string, Record<string, unknown>, { limit: number; windowSeconds: number }]> = [
      [a.id, { rateLimit: LARGE }, LARGE],
      [a.id, { rateLimit: { limit: 25, windowSeconds: 60 } }, { limit: 25, windowSeconds: 60 }],
      [a.id, { rateLimit: LARGE, scopes: ["domains:read"] }, LARGE],
      [b.id, {}, accountLimit],
      [b.id, { rateLimit: LARGE }, LARGE],
      [b.id, { rateLimit: { limit: 10, windowSeconds: 2 } }, { limit: 10, windowSeconds: 2 }],
      [c.id, { rateLimit: LARGE }, LARGE],
      [c.id, { rateLimit: LARGE }, LARGE],
    ];
    const pool: Handle[] = [];
    for (const [accountId, input, limit] of setup)
      pool.push(handleOf(await createKey(accountId, { name: "Load key", ...input }), accountId, limit));
    const [largeA, largeB, largeC1, largeC2] = [0, 4, 6, 7].map((i) => pool[i]) as [Handle, Handle, Handle, Handle];

    const run = marker();
    const sent: Sent[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    /** Requests that started with at least 50 others in flight. */
    let crowded = 0;

    /** One request; `slowMs`: the origin waits that long before its headers, holding the request in flight. */
    async function send(handle: Handle, method = "GET", resource = "domains", slowMs = 0): Promise<Sent> {
      const mark = `${run}-${sent.length}`;
      const path = `/v1/${resource}/${mark}${slowMs > 0 ? `/_test/slow-headers?ms=${slowMs}` : ""}`;
      const record = { handle, mark, method, path } as Sent;
      sent.push(record);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (inFlight > 50) crowded++;
      record.startSeq = tick();
      record.startedAt = Date.now();
      const response = await call(handle.key, path, { method });
      record.endedAt = Date.now();
      record.endSeq = tick();
      inFlight--;
      record.status = response.status;
      record.limit = response.headers.get("x-ratelimit-limit");
      const remaining = response.headers.get("x-ratelimit-remaining");
      record.remaining = remaining === null ? null : Number(remaining);
      record.retryAfter = response.headers.get("retry-after");
      if (response.status === 200) {
        const body = (await response.json()) as { path: string; headers: Record<string, string>; signature: string };
        record.echoed = { path: body.path, keyId: body.headers["x-momail-key-id"], signature: body.signature };
      } else {
        await response.arrayBuffer();
      }
      return record;
    }

    // The admin changes, alongside the load; every call's answer is kept.
    const adminCalls: Array<{ what: string; status: number }> = [];
    const created: KeyData[] = [];
    let churnDone = false;

    async function change(what: string, request: () => Promise<Response>, expected: number) {
      const startSeq = tick();
      const startedAt = Date.now();
      const response = await request();
      const answered: Change = { startSeq, answerSeq: tick(), startedAt, answeredAt: Date.now() };
      adminCalls.push({ what, status: response.status });
      if (response.status !== expected) throw new Error(`${what}: ${response.status} ${await response.text()}`);
      return { answered, response };
    }

    async function create(accountId: string, input: Record<string, unknown>, limit: typeof LARGE) {
      const { response } = await change(
        "create",
        () => admin("POST", `/accounts/${accountId}/keys`, { name: "Created under load", ...input }),
        201,
      );
      const data = await dataOf<KeyData>(response);
      created.push(data);
      const handle = handleOf(data, accountId, limit);
      pool.push(handle);
      // Used at once: a key is never refused once its creation has answered.
      await send(handle);
      return handle;
    }

    async function rotate(old: Handle, grace: number) {
      const { answered, response } = await change(
        `rotate ${grace}s`,
        () =>
          admin("POST", `/accounts/${old.accountId}/keys/${old.id}/rotate`, {
            gracePeriodSeconds: grace,
          }),
        201,
      );
      old.rotated = { ...answered, grace };
      const data = await dataOf<KeyData>(response);
      created.push(data);
      const handle = handleOf(data, old.accountId, { limit: old.limit, windowSeconds: old.windowSeconds });
      pool.push(handle);
      await Promise.all([send(handle), send(old)]);
      return handle;
    }

    async function revoke(handle: Handle) {
      const { answered } = await change(
        "revoke",
        () => admin("DELETE", `/accounts/${handle.accountId}/keys/${handle.id}`),
        200,
      );
      // Concurrent revokes of one key: the first answer is the one that counts.
      if (!handle.revoked || answered.answerSeq < handle.revoked.answerSeq) handle.revoked = answered;
      await send(handle);
    }

    async function churn() {
      // Once every key has answered under load (the first wave is the slowest: cold objects and caches).
      while (pool.some((h) => !sent.some((s) => s.handle === h && s.status !== undefined))) await sleep(20);
      // A burst of concurrent changes: creates on every account, two rotations and a double revoke.
      const burst = await Promise.all([
        create(a.id, { rateLimit: LARGE }, LARGE),
        create(a.id, { rateLimit: LARGE }, LARGE),
        create(b.id, {}, accountLimit),
        create(b.id, { rateLimit: LARGE }, LARGE),
        create(c.id, { rateLimit: LARGE }, LARGE),
        create(c.id, { rateLimit: LARGE }, LARGE),
        rotate(largeC2, 0),
        rotate(largeB, GRACE_SECONDS),
        revoke(largeC1),
        revoke(largeC1),
      ]);
      // Then rounds of changes at once, each on keys in use: a create, a rotation of the last successor, a revoke.
      let chain = burst[6];
      for (const victim of [burst[0], burst[4]]) {
        await sleep(100);
        [, chain] = await Promise.all([create(c.id, { rateLimit: LARGE }, LARGE), rotate(chain, 0), revoke(victim)]);
      }
      // Keep the load going past the grace period's end, then revoke the rotation's successor.
      const graceEnds = (largeB.rotated as Change).startedAt + GRACE_SECONDS * 1000;
      await sleep(Math.max(0, graceEnds - Date.now()) + 200);
      await Promise.all([revoke(burst[7]), rotate(largeA, 0)]);
      churnDone = true;
    }

    const pick = random(7);
    const next = () => {
      const handle = pool[pick(pool.length)] as Handle;
      if (handle.readOnly) {
        const which = pick(4);
        return which === 0 ? send(handle, "POST") : which === 1 ? send(handle, "GET", "messages") : send(handle);
      }
      // A slow origin keeps many requests in flight; not for small limits, whose admissions are timed below.
      const slowMs = handle.limit === LARGE.limit && pick(4) !== 0 ? 60 + pick(100) : 0;
      return send(handle, pick(5) === 0 ? "POST" : "GET", "domains", slowMs);
    };
    const churning = churn();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (sent.length < MAX_REQUESTS && (sent.length < MIN_REQUESTS || !churnDone)) await next();
      }),
    );
    await churning;

    // Afterwards, one more request with each key that can no longer be used, and each one that can.
    const graceOver = Math.max(...pool.map((h) => (h.rotated ? h.rotated.answeredAt + h.rotated.grace * 1000 : 0)));
    await sleep(Math.max(0, graceOver + CLOCK_MARGIN_MS - Date.now()));
    await Promise.all(pool.map((handle) => send(handle)));

    // The load was real: thousands of requests, many in flight at once, every kind of answer.
    expect(sent.length).toBeGreaterThanOrEqual(MIN_REQUESTS);
    expect(maxInFlight).toBeGreaterThanOrEqual(50);
    expect(crowded).toBeGreaterThan(sent.length / 3);
    const statusCounts: Record<string, number> = {};
    for (const s of sent) statusCounts[s.status] = (statusCounts[s.status] ?? 0) + 1;
    // No 500s, no storage or limiter unavailable, no origin failures: only these four.
    expect(Object.keys(statusCounts)).toEqual(["200", "401", "403", "429"]);
    expect(adminCalls.every((call) => call.status === 200 || call.status === 201)).toBe(true);

    // Every admitted request reached the origin exactly once, as itself; no refused one reached it.
    const atOrigin = new Map<string, number>();
    for (const record of await originRequests({ pathContains: run })) {
      const mark = record.path.match(/\/(m[0-9a-f]+-\d+)(\/|$)/)?.[1] ?? record.path;
      atOrigin.set(mark, (atOrigin.get(mark) ?? 0) + 1);
    }
    const admitted = sent.filter((s) => s.status === 200);
    const lost = admitted.filter((s) => atOrigin.get(s.mark) !== 1);
    expect(lost.map((s) => [s.mark, atOrigin.get(s.mark) ?? 0])).toEqual([]);
    const leaked = sent.filter((s) => s.status !== 200 && atOrigin.has(s.mark));
    expect(leaked.map((s) => [s.mark, s.status])).toEqual([]);
    expect([...atOrigin.values()].reduce((sum, n) => sum + n, 0)).toBe(admitted.length);
    const mixedUp = admitted.filter(
      (s) => s.echoed?.path !== s.path || s.echoed.keyId !== s.handle.id || s.echoed.signature !== "ok",
    );
    expect(mixedUp.map((s) => [s.mark, s.echoed])).toEqual([]);

    // Revocation: every request that started after the revoke answered was refused, and nothing before it was.
    const revoked = pool.filter((h) => h.revoked);
    expect(revoked).toHaveLength(4);
    for (const handle of revoked) {
      const change = handle.revoked as Change;
      const mine = sent.filter((s) => s.handle === handle);
      const after = mine.filter((s) => s.startSeq > change.answerSeq);
      expect(after.length).toBeGreaterThan(0);
      expect(after.filter((s) => !refusedKey(s)).map((s) => [s.mark, s.status])).toEqual([]);
      const before = mine.filter((s) => s.endSeq < change.startSeq);
      expect(before.filter(refusedKey).map((s) => s.mark)).toEqual([]);
    }

    // Rotation: the old key is refused once its grace period is over (at once for none), never before.
    const rotated = pool.filter((h) => h.rotated);
    expect(rotated.map((h) => h.rotated?.grace).sort()).toEqual([0, 0, 0, 0, GRACE_SECONDS]);
    for (const handle of rotated) {
      const change = handle.rotated as Change & { grace: number };
      const mine = sent.filter((s) => s.handle === handle);
      const graceMs = change.grace * 1000;
      const expired = mine.filter((s) =>
        change.grace === 0
          ? s.startSeq > change.answerSeq
          : s.startedAt >= change.answeredAt + graceMs + CLOCK_MARGIN_MS,
      );
      expect(expired.length).toBeGreaterThan(0);
      expect(expired.filter((s) => !refusedKey(s)).map((s) => [s.mark, s.status])).toEqual([]);
      const live = mine.filter((s) =>
        change.grace === 0 ? s.endSeq < change.startSeq : s.endedAt < change.startedAt + graceMs - CLOCK_MARGIN_MS,
      );
      expect(live.length).toBeGreaterThan(0);
      expect(live.filter(refusedKey).map((s) => s.mark)).toEqual([]);
      if (change.grace > 0) expect(live.some((s) => s.startSeq > change.answerSeq && s.status === 200)).toBe(true);
    }

    // Keys neither revoked nor rotated were never refused; the read-only one only got 403 out of scope.
    for (const handle of pool.filter((h) => !h.revoked && !h.rotated)) {
      const mine = sent.filter((s) => s.handle === handle);
      expect(mine.filter(refusedKey).map((s) => s.mark)).toEqual([]);
      const forbidden = mine.filter((s) => s.status === 403);
      if (handle.readOnly) {
        const inScope = (s: Sent) => s.method === "GET" && s.path.startsWith("/v1/domains/");
        expect(forbidden.length).toBeGreaterThan(0);
        expect(forbidden.filter(inScope).map((s) => s.mark)).toEqual([]);
        expect(mine.filter((s) => !inScope(s) && s.status !== 403).map((s) => [s.mark, s.status])).toEqual([]);
      } else {
        expect(forbidden).toEqual([]);
      }
    }

    // Rate limits: never past the limit within a window, and exactly min(limit, attempts) in one window.
    for (const handle of pool) {
      const mine = sent.filter((s) => s.handle === handle && s.status !== 401 && s.status !== 403);
      for (const s of mine) expect(s.limit).toBe(String(handle.limit));
      const ok = mine.filter((s) => s.status === 200);
      const limited = mine.filter((s) => s.status === 429);
      for (const s of limited) {
        expect(s.remaining).toBe(0);
        expect(Number(s.retryAfter)).toBeGreaterThanOrEqual(1);
        expect(Number(s.retryAfter)).toBeLessThanOrEqual(handle.windowSeconds + 1);
      }
      if (handle.limit === LARGE.limit) {
        expect(limited).toEqual([]);
        continue;
      }
      expect(limited.length).toBeGreaterThan(0);
      if (handle.windowSeconds === 60) {
        // One window: the object admitted exactly its limit, and the headers counted down to 0 on the way.
        expect(ok).toHaveLength(Math.min(handle.limit, mine.length));
        const remaining = ok.map((s) => s.remaining as number).sort((x, y) => y - x);
        remaining.forEach((value, i) => {
          expect(value).toBeLessThanOrEqual(handle.limit - 1 - i);
        });
        expect(remaining.at(-1)).toBe(0);
      } else {
        // A sliding window: no window-long interval holds more than the limit of admissions.
        const windowMs = handle.windowSeconds * 1000;
        for (const first of ok) {
          const inside = ok.filter(
            (s) => s.startedAt >= first.startedAt && s.endedAt < first.startedAt + windowMs - CLOCK_MARGIN_MS,
          );
          expect(inside.length).toBeLessThanOrEqual(handle.limit);
        }
        expect(ok.length).toBeGreaterThanOrEqual(handle.limit);
      }
    }

    // Every key created exists exactly once: in D1, and in the admin list unless revoked.
    expect(created).toHaveLength(6 + 2 + 5);
    const rows = (
      await env.DB.prepare(
        "SELECT id, prefix, revoked_at AS revokedAt, expires_at AS expiresAt FROM api_keys WHERE account_id IN (?, ?, ?)",
      )
        .bind(a.id, b.id, c.id)
        .all<{ id: string; prefix: string; revokedAt: number | null; expiresAt: number | null }>()
    ).results;
    expect(rows).toHaveLength(setup.length + created.length);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.prefix)).size).toBe(rows.length);
    expect(new Set(rows.map((r) => r.id))).toEqual(new Set(pool.map((h) => h.id)));
    expect(new Set(pool.map((h) => h.key)).size).toBe(pool.length);
    for (const row of rows) {
      const handle = pool.find((h) => h.id === row.id) as Handle;
      expect(row.prefix).toBe(handle.prefix);
      expect(row.revokedAt !== null).toBe(handle.revoked !== undefined);
      if (handle.rotated) {
        const graceMs = handle.rotated.grace * 1000;
        expect(row.expiresAt).toBeGreaterThanOrEqual(handle.rotated.startedAt + graceMs);
        expect(row.expiresAt).toBeLessThanOrEqual(handle.rotated.answeredAt + graceMs);
      } else expect(row.expiresAt).toBeNull();
    }
    for (const account of [a, b, c]) {
      const listed = await dataOf<Array<{ id: string; prefix: string }>>(
        await admin("GET", `/accounts/${account.id}/keys`),
      );
      const expected = pool.filter((h) => h.accountId === account.id && !h.revoked);
      expect(listed.map((k) => k.id).sort()).toEqual(expected.map((h) => h.id).sort());
    }
  }, 30_000);

  // Forged keys never reach the cache (test/data-plane/key-check.test.ts); keys that pass the forged-key check
  // but that D1 does not know do. Here the cache is full and such a flood has to evict, through the gateway,
  // while a real key stays in use.
  it("keeps the isolate cache at its bound under a flood of distinct unknown keys", async () => {
    const account = await createAccount({ name: "Flood" });
    const hot = await createKey(account.id, { rateLimit: LARGE });
    isolate.records.clear();
    expect((await call(hot.key)).status).toBe(200);
    // Fill the cache to its bound with other (negative) entries, as a long-lived isolate's would be.
    const bound = isolate.records.maxEntries;
    const filler = Array.from({ length: bound - 1 }, (_, i) => `f${String(i).padStart(7, "0")}`);
    for (const prefix of filler) isolate.records.set(prefix, { record: null }, 60_000);
    expect(isolate.records.size).toBe(bound);
    // In use: the cache has seen it since it was filled. Without its KV entry, any new lookup would show.
    expect((await call(hot.key)).status).toBe(200);
    for (let i = 0; i < 50 && (await env.KEYS_CACHE.get(kvKey(hot.prefix))) === null; i++) await sleep(10);
    await env.KEYS_CACHE.delete(kvKey(hot.prefix));

    const flood = marker();
    const FLOOD = 800;
    let sentJunk = 0;
    let largest = 0;
    const statuses: number[] = [];
    const hotStatuses: number[] = [];
    const junk = Promise.all(
      Array.from({ length: 50 }, async () => {
        while (sentJunk < FLOOD) {
          const path = `/v1/domains/${flood}-${sentJunk++}`;
          const response = await call(await unstoredKey(), path);
          statuses.push(response.status);
          await response.arrayBuffer();
          largest = Math.max(largest, isolate.records.size);
        }
      }),
    );
    // Meanwhile the real key keeps being used.
    while (sentJunk < FLOOD) {
      const ok = await call(hot.key, `/v1/domains/${flood}-hot-${hotStatuses.length}`);
      hotStatuses.push(ok.status);
      await ok.arrayBuffer();
      await sleep(10);
    }
    await junk;
    try {
      expect(statuses).toEqual(Array(FLOOD).fill(401));
      expect(largest).toBe(bound);
      expect(isolate.records.size).toBe(bound);
      // The flood evicted the oldest idle entries, not the key in use, which never needed a lookup.
      expect(filler.slice(0, 100).filter((prefix) => isolate.records.get(prefix) !== undefined)).toEqual([]);
      expect(isolate.records.get(hot.prefix)?.record?.id).toBe(hot.id);
      expect(await env.KEYS_CACHE.get(kvKey(hot.prefix))).toBeNull();
      expect(hotStatuses.length).toBeGreaterThan(0);
      expect(hotStatuses.every((s) => s === 200)).toBe(true);
      // Only the real key's requests reached the origin.
      const atOrigin = await originRequests({ pathContains: flood });
      expect(atOrigin).toHaveLength(hotStatuses.length);
      expect(atOrigin.every((r) => r.path.includes(`${flood}-hot-`))).toBe(true);
    } finally {
      isolate.records.clear();
    }
  }, 15_000);
});
