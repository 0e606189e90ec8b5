/**
 * Fuzzing the data plane's request headers. Whatever a client puts in
 * X-API-Key (random text, Latin-1 and control bytes, 16 KB values, a real key
 * with one character changed, a right-shaped key with a wrong checksum or
 * secret, the key sent twice) and in the other headers (X-Request-Id,
 * Connection, X-Forwarded-*, X-MoMail-*, a Content-Length that does not match
 * the body), the gateway answers with a documented status and envelope, never
 * a 500 or a stack trace, never echoes the key, always sends X-Request-Id, and
 * lets a request through to the origin only with exactly the real key.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { checksum } from "../../src/keys/format";
import { expectEnvelope } from "../support/envelope";
import { accountWithKey, gateway, type KeyData, marker, type OriginRecord, originRequests } from "../support/helpers";
import { asciiValue, base62Char, headerName, latin1Char, latin1String, lowerAlnumChar } from "./invariants";

const INVALID_BODY = JSON.stringify({
  success: false,
  error: { code: "UNAUTHORIZED", message: "Invalid or missing API key" },
});
/** hono/request-id's rule, which the data plane follows: the client's id if it is a sane token. */
const SANE_REQUEST_ID = /^[\w=-]{1,128}$/;
const MAX_BODY_BYTES = 10_485_760;

/** How to derive an X-API-Key value from the real key: a plan that prints readably when a run fails. */
type KeyCase =
  | { kind: "absent" }
  | { kind: "exact" }
  | { kind: "text"; value: string }
  | { kind: "overlong"; copies: number; tail: string }
  | { kind: "mutate"; index: number; char: string }
  | { kind: "insert"; index: number; char: string }
  | { kind: "delete"; index: number }
  | { kind: "padded"; before: string; after: string }
  | { kind: "badChecksum"; checksum: string }
  | { kind: "otherSecret"; random: string }
  | { kind: "unknown"; prefix: string; random: string }
  | { kind: "twice"; first: KeyCase; second: KeyCase };

/** Positions 0-2 ("mk_") and 11 (the "_" separator) are structural: fuzz them more often. */
const keyIndex = fc.oneof(fc.constantFrom(0, 1, 2, 11, 35), fc.nat(35));

const singleCase: fc.Arbitrary<KeyCase> = fc.oneof(
  fc.constant({ kind: "absent" as const }),
  fc.constant({ kind: "exact" as const }),
  fc.record({ kind: fc.constant("text" as const), value: fc.string() }),
  fc.record({ kind: fc.constant("text" as const), value: latin1String(80) }),
  fc.record({
    kind: fc.constant("overlong" as const),
    copies: fc.integer({ min: 1, max: 455 }), // up to ~16 KB
    tail: latin1String(8),
  }),
  fc.record({ kind: fc.constant("mutate" as const), index: keyIndex, char: fc.oneof(latin1Char, base62Char) }),
  fc.record({ kind: fc.constant("insert" as const), index: fc.nat(36), char: fc.oneof(latin1Char, base62Char) }),
  fc.record({ kind: fc.constant("delete" as const), index: keyIndex }),
  fc.record({
    kind: fc.constant("padded" as const),
    before: fc.string({ unit: fc.constantFrom(" ", "\t"), maxLength: 3 }),
    after: fc.string({ unit: fc.constantFrom(" ", "\t"), maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant("badChecksum" as const),
    checksum: fc.string({ unit: base62Char, minLength: 6, maxLength: 6 }),
  }),
  fc.record({
    kind: fc.constant("otherSecret" as const),
    random: fc.string({ unit: base62Char, minLength: 18, maxLength: 18 }),
  }),
  fc.record({
    kind: fc.constant("unknown" as const),
    prefix: fc.string({ unit: lowerAlnumChar, minLength: 8, maxLength: 8 }),
    random: fc.string({ unit: base62Char, minLength: 18, maxLength: 18 }),
  }),
);

const keyCase: fc.Arbitrary<KeyCase> = fc.oneof(
  { weight: 6, arbitrary: singleCase },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("twice" as const), first: singleCase, second: singleCase }),
  },
);

/** The X-API-Key header values (appended in order) a plan stands for. */
function valuesOf(plan: KeyCase, key: string): string[] {
  const prefix = key.slice(3, 11);
  switch (plan.kind) {
    case "absent":
      return [];
    case "exact":
      return [key];
    case "text":
      return [plan.value];
    case "overlong":
      return [key.repeat(plan.copies) + plan.tail];
    case "mutate":
      return [key.slice(0, plan.index) + plan.char + key.slice(plan.index + 1)];
    case "insert":
      return [key.slice(0, plan.index) + plan.char + key.slice(plan.index)];
    case "delete":
      return [key.slice(0, plan.index) + key.slice(plan.index + 1)];
    case "padded":
      return [plan.before + key + plan.after];
    case "badChecksum":
      return [key.slice(0, 30) + plan.checksum];
    case "otherSecret":
      return [`mk_${prefix}_${plan.random}${checksum(`mk_${prefix}_${plan.random}`)}`];
    case "unknown":
      return [`mk_${plan.prefix}_${plan.random}${checksum(`mk_${plan.prefix}_${plan.random}`)}`];
    case "twice":
      return [...valuesOf(plan.first, key), ...valuesOf(plan.second, key)];
  }
}

/** An origin echo (test/support/origin-server.ts) as JSON. */
async function echoOf(response: Response): Promise<OriginRecord> {
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  return (await response.json()) as OriginRecord;
}

/** A key with a limit no fuzz run can reach, so a good key always gets through. */
async function unlimitedKey(): Promise<{ key: KeyData; accountId: string }> {
  const created = await accountWithKey({ rateLimit: { limit: 1_000_000, windowSeconds: 60 } });
  return { key: created.key, accountId: created.account.id };
}

describe("X-API-Key, fuzzed", () => {
  let key: KeyData;
  let accountId: string;

  beforeAll(async () => {
    ({ key, accountId } = await unlimitedKey());
    // Warm this isolate's cache: the fast path must refuse near misses as strictly as the cold one.
    expect((await gateway("/v1/domains", { headers: { "X-API-Key": key.key } })).status).toBe(200);
  });

  it("lets exactly the real key through; everything else gets the one 401, never an echo of what was sent", async () => {
    const m = marker();
    let admitted = 0;
    await fc.assert(
      fc.asyncProperty(keyCase, fc.constantFrom("X-API-Key", "x-api-key", "X-API-KEY"), async (plan, name) => {
        const headers = new Headers();
        for (const value of valuesOf(plan, key.key)) headers.append(name, value);
        const presented = headers.get("x-api-key");
        const response = await gateway(`/v1/domains/${m}`, { headers });
        const text = await response.text();

        expect(response.headers.get("x-request-id")).toBeTruthy();
        expect(text).not.toContain(key.key.slice(12));
        if (presented === key.key) {
          admitted++;
          expect(response.status, text).toBe(200);
          const echo = JSON.parse(text) as OriginRecord;
          expect(echo.headers["x-api-key"]).toBeUndefined();
          expect(echo.headers["x-momail-account-id"]).toBe(accountId);
          expect(echo.headers["x-momail-key-id"]).toBe(key.id);
          expect(echo.signature).toBe("ok");
          expect(response.headers.get("x-ratelimit-limit")).toBe("1000000");
        } else {
          // One body for every refused key, so nothing of what was presented can be in it.
          expect(response.status, `${JSON.stringify(presented)} -> ${response.status} ${text}`).toBe(401);
          expect(text).toBe(INVALID_BODY);
          await expectEnvelope(response, text);
          expect(response.headers.get("www-authenticate")).toBe('ApiKey header="X-API-Key"');
          expect(response.headers.get("cache-control")).toBe("no-store");
        }
      }),
      {
        numRuns: 200,
        // Always tried first: the key with its "_" separator changed (which the warm path of
        // src/keys/check.ts does not check), the key sent twice, and the key itself.
        examples: [
          [{ kind: "mutate", index: 11, char: "-" }, "X-API-Key"],
          [{ kind: "twice", first: { kind: "exact" }, second: { kind: "exact" } }, "X-API-Key"],
          [{ kind: "exact" }, "x-api-key"],
        ],
      },
    );
    // The real key did get through, and refused requests never reach the origin.
    expect(admitted).toBeGreaterThan(0);
    expect(await originRequests({ pathContains: m })).toHaveLength(admitted);
  });
});

/** The other request headers a client may send: plans, applied to a Headers object. */
const requestIdValue = fc.oneof(
  fc.stringMatching(/^[\w=-]{1,128}$/),
  latin1String(40),
  fc.string({ unit: fc.constantFrom("a", "-", "=", "_", "9"), minLength: 129, maxLength: 300 }),
  fc.constantFrom("", "../../etc/passwd", "id with spaces", "a\tb", "<script>", "😀"),
);

/** Names a Connection header may list: ones the gateway sets itself, sensitive ones, and random ones. */
const listedName = fc.oneof(
  fc.constantFrom(
    "x-api-key",
    "x-momail-account-id",
    "x-momail-key-id",
    "x-momail-signature",
    "x-request-id",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "host",
    "content-length",
    "content-type",
    "keep-alive",
    "close",
    "upgrade",
    "authorization",
    "cookie",
    "X-Custom-Listed",
  ),
  headerName,
);

const otherHeaders = fc.record(
  {
    requestId: requestIdValue,
    connection: fc.tuple(
      fc.array(listedName, { maxLength: 6 }),
      fc.constantFrom(",", ", ", " ,\t", ",,"),
      fc.constantFrom("", " ", "\t"),
    ),
    forwarded: fc.dictionary(
      fc.constantFrom("x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "forwarded", "x-real-ip"),
      latin1String(40),
    ),
    momail: fc.dictionary(
      fc.oneof(
        fc.constantFrom("account-id", "key-id", "signature", "admin", "scopes"),
        fc.stringMatching(/^[a-z0-9-]{1,16}$/),
      ),
      latin1String(40),
    ),
    /** Headers the origin should see exactly as sent (ASCII values; unlisted, not spoofable). */
    custom: fc.dictionary(
      headerName.map((name) => `x-fz-${name}`),
      asciiValue,
      { maxKeys: 4 },
    ),
    method: fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"),
    body: fc.string({ unit: "binary", maxLength: 300 }),
    contentLength: fc.oneof(
      fc.nat({ max: 1000 }).map(String),
      fc.constantFrom("0", "-1", "abc", "1e3", " 5", "99999999999999999999", String(MAX_BODY_BYTES + 1), "70000"),
    ),
  },
  { requiredKeys: ["method", "body"] },
);

type OtherHeaders = typeof otherHeaders extends fc.Arbitrary<infer T> ? T : never;

function headersOf(plan: OtherHeaders, apiKey: string | null): Headers {
  const headers = new Headers();
  if (apiKey !== null) headers.set("X-API-Key", apiKey);
  if (plan.requestId !== undefined) headers.set("X-Request-Id", plan.requestId);
  if (plan.connection !== undefined) {
    const [names, separator, padding] = plan.connection;
    headers.set("Connection", padding + names.join(separator) + padding);
    // Whatever Connection lists and the client sent must not reach the origin.
    for (const name of names) if (/^x-custom-listed$|^x-fz-/i.test(name)) headers.set(name, "listed");
  }
  for (const [name, value] of Object.entries(plan.forwarded ?? {})) headers.set(name, value);
  for (const [name, value] of Object.entries(plan.momail ?? {})) headers.set(`X-MoMail-${name}`, value);
  for (const [name, value] of Object.entries(plan.custom ?? {})) headers.set(name, value);
  if (plan.contentLength !== undefined) headers.set("Content-Length", plan.contentLength);
  return headers;
}

/** The headers only the gateway may set towards the origin. */
const GATEWAY_SET = new Set([
  "x-momail-account-id",
  "x-momail-key-id",
  "x-momail-mode",
  "x-momail-signature",
  "x-request-id",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
]);

describe("the other request headers, fuzzed", () => {
  let key: KeyData;
  let accountId: string;

  beforeAll(async () => {
    ({ key, accountId } = await unlimitedKey());
  });

  it("never break the key check, the identity or the signature the origin sees, nor leak into the answer", async () => {
    await fc.assert(
      fc.asyncProperty(otherHeaders, fc.boolean(), async (plan, withKey) => {
        const m = marker();
        const headers = headersOf(plan, withKey ? key.key : "mk_abcd1234_0000000000000000004Bd7Ik");
        const hasBody = plan.method !== "GET" && plan.method !== "HEAD";
        const response = await gateway(`/v1/domains/${m}`, {
          method: plan.method,
          headers,
          body: hasBody ? plan.body : undefined,
        });

        // X-Request-Id: the client's if it is sane, else a fresh one; always there.
        const requestId = response.headers.get("x-request-id");
        expect(requestId).toBeTruthy();
        const sane = plan.requestId !== undefined && SANE_REQUEST_ID.test(headers.get("x-request-id") ?? "");
        if (sane) expect(requestId).toBe(headers.get("x-request-id"));
        else expect(requestId).toMatch(/^[0-9a-f-]{36}$/);

        /** The error envelope, which a HEAD answer carries only in its headers. */
        const expectError = async (status: number, code: string) => {
          expect(response.status).toBe(status);
          if (plan.method === "HEAD") {
            expect(response.headers.get("content-type")).toMatch(/^application\/json/);
            expect(await response.text()).toBe("");
          } else {
            expect((await expectEnvelope(response)).code).toBe(code);
          }
          expect(await originRequests({ pathContains: m })).toHaveLength(0);
        };
        if (!withKey) return expectError(401, "UNAUTHORIZED");

        const declared = headers.get("content-length");
        if (hasBody && declared !== null && /^\d+$/.test(declared) && Number(declared) > MAX_BODY_BYTES) {
          // A declared length over MAX_BODY_BYTES is refused up front, whatever the actual body.
          return expectError(413, "PAYLOAD_TOO_LARGE");
        }
        expect(response.status, await response.clone().text()).toBe(200);
        expect(response.headers.get("x-ratelimit-limit")).toBe("1000000");
        if (plan.method === "HEAD") {
          expect(await originRequests({ pathContains: m })).toHaveLength(1);
          return;
        }
        const echo = await echoOf(response);
        expect(echo.method).toBe(plan.method);
        expect(echo.signature).toBe("ok");
        // The body arrives whole, whatever Content-Length claimed.
        expect(echo.bodyLength).toBe(hasBody ? new TextEncoder().encode(plan.body).byteLength : 0);
        // Identity and forwarding headers are the gateway's, never the client's.
        expect(echo.headers["x-api-key"]).toBeUndefined();
        expect(echo.headers["x-momail-account-id"]).toBe(accountId);
        expect(echo.headers["x-momail-key-id"]).toBe(key.id);
        expect(echo.headers["x-momail-mode"]).toBe("live");
        expect(echo.headers["x-request-id"]).toBe(requestId);
        expect(echo.headers["x-forwarded-for"]).toBe("unknown");
        expect(echo.headers["x-forwarded-proto"]).toBe("http");
        expect(echo.headers["x-forwarded-host"]).toBe("localhost");
        expect(echo.headers.forwarded).toBeUndefined();
        expect(echo.headers["x-real-ip"]).toBeUndefined();
        for (const name of Object.keys(echo.headers)) {
          if (name.startsWith("x-momail-")) expect(GATEWAY_SET, name).toContain(name);
        }
        // Hop-by-hop: Connection itself and what it lists are dropped; other custom headers are kept.
        expect(echo.headers.connection ?? "close").toMatch(/^(close|keep-alive)$/i);
        const listed = new Set((plan.connection?.[0] ?? []).map((name) => name.toLowerCase()));
        for (const name of listed) {
          if (name === "x-custom-listed" || name.startsWith("x-fz-")) expect(echo.headers[name], name).toBeUndefined();
        }
        for (const [name, value] of Object.entries(plan.custom ?? {})) {
          if (!listed.has(name)) expect(echo.headers[name], name).toBe(value.trim());
        }
      }),
      {
        numRuns: 100,
        // Always tried first: a GET that declares an empty body (Content-Length: 0), as some clients send.
        examples: [[{ method: "GET", body: "", contentLength: "0" }, true]],
      },
    );
  });
});
