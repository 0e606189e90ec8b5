/**
 * Fuzzing the admin API's JSON bodies: create and update account, create
 * user, create and update key, rotate. Bodies are built from the right field
 * names with right and wrong values (wrong types, extreme and fractional
 * numbers, NaN-like strings, very long and odd Unicode strings, nesting,
 * unknown fields), or are arbitrary JSON values, invalid JSON text, a wrong
 * or missing Content-Type, or a wrong admin token.
 *
 * An independent model of the contract's schemas says, for each body,
 * whether it must be accepted, must be refused (400), or cannot be told (then
 * either is fine). Properties: the status is the model's (or 401/404/409 as
 * documented), never a 500; errors are the documented envelope with no stack
 * trace; and a refused request writes nothing (accounts, users, keys and
 * audit entries counted in D1, the target rows compared column by column),
 * while an accepted one writes exactly what was asked, as the list endpoint
 * and D1 show it, and exactly one audit entry.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { parseKey } from "../../src/keys/format";
import { expectEnvelope, expectNoLeak } from "../support/envelope";
import { ADMIN_TOKEN, createAccount, createKey, gateway } from "../support/helpers";
import { anyCodeUnit } from "./invariants";

const DAY_MS = 86_400_000;
const SCOPE = /^(\*|\*:read|[A-Za-z0-9_-]{1,64}:(read|write))$/;
const MAX_GRACE_SECONDS = 30 * 86_400;

// ---------------------------------------------------------------------------
// The model: true = must be accepted, false = must be refused, undefined = cannot tell.

type Verdict = boolean | undefined;

const allOf = (verdicts: Verdict[]): Verdict =>
  verdicts.includes(false) ? false : verdicts.includes(undefined) ? undefined : true;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const intIn = (value: unknown, min: number, max: number) =>
  typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;

/** 1-100 characters once trimmed, and well-formed UTF-16 (a lone surrogate cannot be stored as text). */
function nameVerdict(value: unknown): Verdict {
  if (typeof value !== "string") return false;
  const trimmed = value.trim();
  return trimmed.length >= 1 && trimmed.length <= 100 && value.isWellFormed();
}

function rateLimitVerdict(value: unknown): Verdict {
  if (!isObject(value)) return false;
  const keys = Object.keys(value).sort();
  if (keys.length !== 2 || keys[0] !== "limit" || keys[1] !== "windowSeconds") return false;
  return intIn(value.limit, 1, 1_000_000) && intIn(value.windowSeconds, 1, 86_400);
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?(?:Z|[+-](\d{2}):(\d{2}))$/;

/** ISO-8601: a date, or a date-time with seconds and Z or an offset; strictly in the future. */
function expiresVerdict(value: unknown): Verdict {
  if (typeof value !== "string") return false;
  const match = DATE_TIME.exec(value) ?? DATE_ONLY.exec(value);
  if (!match) return /^\d{4}-\d{2}-\d{2}/.test(value) ? undefined : false;
  const [year, month, day, hour = 0, minute = 0, second = 0, offsetHour = 0, offsetMinute = 0] = match
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part)));
  const sane =
    (month as number) >= 1 &&
    (month as number) <= 12 &&
    (day as number) >= 1 &&
    (day as number) <= daysIn(year as number, month as number) &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59 &&
    offsetHour <= 23 &&
    offsetMinute <= 59;
  return sane && new Date(value).getTime() > Date.now();
}

function scopesVerdict(value: unknown): Verdict {
  if (!Array.isArray(value) || value.length < 1 || value.length > 50) return false;
  if (!value.every((scope) => typeof scope === "string" && SCOPE.test(scope))) return false;
  return new Set(value).size === value.length;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Whether the URL parser reads `text` as an IPv6 address (an independent reading of RFC 4291's forms). */
function urlIpv6(text: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return false;
  try {
    new URL(`http://[${text}]/`);
    return true;
  } catch {
    return false;
  }
}

/** An address or range: a plain IPv4 or IPv6 address is accepted, anything with a space or a letter past f refused. */
function ipEntryVerdict(value: unknown): Verdict {
  if (typeof value !== "string") return false;
  if (IPV4.test(value) || (!value.includes(".") && urlIpv6(value))) return true;
  if (value === "" || /[\sg-zG-Z%]/.test(value) || value.split("/").length > 2) return false;
  return undefined;
}

/** Lowercase ASCII labels with a letter TLD: accepted; empty labels, spaces, `@`, `*`: refused. */
function domainEntryVerdict(value: unknown): Verdict {
  if (typeof value !== "string") return false;
  if (/^([a-z0-9]{1,20}\.){1,3}[a-z]{2,6}$/.test(value)) return true;
  if (value === "" || /\s|@|\*|\.\.|^\.|\/|:/.test(value)) return false;
  return undefined;
}

/** A list of 1 to 20 entries, each `entry`. */
const listVerdict = (entry: (value: unknown) => Verdict) => (value: unknown) =>
  Array.isArray(value) && value.length >= 1 && value.length <= 20 ? allOf(value.map(entry)) : false;

const SIMPLE_EMAIL = /^[a-z0-9]{1,20}@[a-z0-9]{1,20}\.[a-z]{2,6}$/i;

function emailVerdict(value: unknown): Verdict {
  if (typeof value !== "string" || value.length > 254 || !value.includes("@") || /\s/.test(value)) return false;
  return SIMPLE_EMAIL.test(value) ? true : undefined;
}

const passwordVerdict = (value: unknown): Verdict =>
  typeof value === "string" && value.length >= 8 && value.length <= 256;

/** https:// to a plainly public name, or http://127.0.0.1 (the tests run in development): accepted; a private address or another scheme: refused. */
function webhookUrlVerdict(value: unknown): Verdict {
  if (typeof value !== "string") return false;
  if (/^https:\/\/hooks\.[a-z]{1,10}\.example\.com\/[a-z0-9]{0,10}$/.test(value)) return true;
  if (/^http:\/\/127\.0\.0\.1:\d{2,5}\/hooks$/.test(value)) return true;
  if (/^(https?:\/\/(10\.|192\.168\.|169\.254\.|\[fd)|ftp:|javascript:|mailto:)/.test(value) || !value.includes(":"))
    return false;
  return undefined;
}

interface FieldSpec {
  verdict: (value: unknown) => Verdict;
  required?: boolean;
  nullable?: boolean;
}

/** A strict object schema: unknown fields, missing required ones and bad values are refused. */
function bodyVerdict(body: unknown, spec: Record<string, FieldSpec>): Verdict {
  if (!isObject(body)) return false;
  if (Object.keys(body).some((key) => !Object.hasOwn(spec, key))) return false;
  const verdicts: Verdict[] = [];
  for (const [field, { verdict, required, nullable }] of Object.entries(spec)) {
    if (!Object.hasOwn(body, field)) verdicts.push(!required);
    else if (body[field] === null) verdicts.push(nullable === true);
    else verdicts.push(verdict(body[field]));
  }
  return allOf(verdicts);
}

const SPECS = {
  createAccount: {
    name: { verdict: nameVerdict, required: true },
    rateLimit: { verdict: rateLimitVerdict, nullable: true },
  },
  updateAccount: {
    name: { verdict: nameVerdict },
    rateLimit: { verdict: rateLimitVerdict, nullable: true },
    disabled: { verdict: (value: unknown) => typeof value === "boolean" },
    webhookUrl: { verdict: webhookUrlVerdict, nullable: true },
  },
  createUser: {
    email: { verdict: emailVerdict, required: true },
    password: { verdict: passwordVerdict, required: true },
  },
  createKey: {
    name: { verdict: nameVerdict, required: true },
    expiresAt: { verdict: expiresVerdict, nullable: true },
    scopes: { verdict: scopesVerdict },
    rateLimit: { verdict: rateLimitVerdict, nullable: true },
    mode: { verdict: (value: unknown) => value === "live" || value === "test" },
    allowedIps: { verdict: listVerdict(ipEntryVerdict), nullable: true },
    allowedSenderDomains: { verdict: listVerdict(domainEntryVerdict), nullable: true },
  },
  updateKey: {
    name: { verdict: nameVerdict },
    expiresAt: { verdict: expiresVerdict, nullable: true },
    scopes: { verdict: scopesVerdict },
    rateLimit: { verdict: rateLimitVerdict, nullable: true },
    allowedIps: { verdict: listVerdict(ipEntryVerdict), nullable: true },
    allowedSenderDomains: { verdict: listVerdict(domainEntryVerdict), nullable: true },
    // A key's mode is fixed when it is created.
    mode: { verdict: () => false, nullable: false },
  },
  rotate: {
    gracePeriodSeconds: { verdict: (value: unknown) => intIn(value, 0, MAX_GRACE_SECONDS) },
  },
} satisfies Record<string, Record<string, FieldSpec>>;

// ---------------------------------------------------------------------------
// Values: right and wrong ones for each field.

/** Wrong for every field: other types, extreme and fractional numbers, NaN-like strings, nesting. */
const nasty = fc.oneof(
  fc.constantFrom<unknown>(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER + 2,
    2 ** 31,
    "",
    " ",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "null",
    "true",
    "0x10",
    [],
    {},
    [null],
    { "": "" },
  ),
  fc.jsonValue({ maxDepth: 3 }),
);

/** A field's values: `good` ones the contract accepts, and `any` mixing them with wrong ones. */
interface Values {
  good: fc.Arbitrary<unknown>;
  any: fc.Arbitrary<unknown>;
}

const values = (good: fc.Arbitrary<unknown>, ...bad: fc.Arbitrary<unknown>[]): Values => ({
  good,
  any: fc.oneof({ weight: 2, arbitrary: good }, ...bad.map((arbitrary) => ({ weight: 1, arbitrary })), {
    weight: 1,
    arbitrary: nasty,
  }),
});

const whitespace = fc.string({ unit: fc.constantFrom(" ", "\t", "\n", "\u00a0", "\u2028", "\ufeff"), maxLength: 3 });

const NAME = values(
  fc.oneof(
    fc.string({ maxLength: 100 }).filter((name) => name.trim() !== ""),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }).filter((name) => name.trim() !== ""),
    fc
      .tuple(whitespace, fc.string({ unit: "binary", minLength: 1, maxLength: 40 }), whitespace)
      .map((parts) => parts.join("")),
  ),
  // Lone surrogates, blank, too long, padded to around the limit.
  fc.string({ unit: anyCodeUnit, maxLength: 20 }),
  fc.tuple(whitespace, fc.string({ minLength: 95, maxLength: 105 }), whitespace).map((parts) => parts.join("")),
  fc.oneof(whitespace, fc.string({ minLength: 1000, maxLength: 5000 })),
);

const limitNumber = (max: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 1, max }) },
    fc.integer(),
    fc.integer({ min: 1, max: 1000 }).map((n) => n + 0.5),
    fc.constantFrom<unknown>(0, -1, max + 1, 1e308, "60", null),
  );

const RATE_LIMIT = values(
  fc.oneof(
    fc.constant(null),
    fc.record({ limit: fc.integer({ min: 1, max: 1_000_000 }), windowSeconds: fc.integer({ min: 1, max: 86_400 }) }),
  ),
  fc.record({ limit: limitNumber(1_000_000), windowSeconds: limitNumber(86_400) }),
  fc.record({ limit: limitNumber(1_000_000), windowSeconds: limitNumber(86_400) }, { requiredKeys: [] }),
  fc.record({ limit: limitNumber(1_000_000), windowSeconds: limitNumber(86_400), burst: limitNumber(10) }),
  fc.constantFrom<unknown>("100/60", 100, [100, 60]),
);

const futureDate = fc.date({
  min: new Date(Date.now() + 2 * DAY_MS),
  max: new Date("9998-12-31T00:00:00Z"),
  noInvalidDate: true,
});
const pastDate = fc.date({
  min: new Date("1970-01-01T00:00:00Z"),
  max: new Date(Date.now() - 2 * DAY_MS),
  noInvalidDate: true,
});

/** The same instant written in local time at an offset (minutes east of UTC). */
function atOffset(date: Date, offsetMinutes: number): string {
  const local = new Date(date.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 19);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return `${local}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

const dateText = (date: fc.Arbitrary<Date>) =>
  fc.oneof(
    date.map((d) => d.toISOString()),
    date.map((d) => d.toISOString().slice(0, 10)),
    date.map((d) => `${d.toISOString().slice(0, 19)}Z`),
    fc.tuple(date, fc.integer({ min: -48, max: 56 })).map(([d, quarters]) => atOffset(d, quarters * 15)),
  );

const EXPIRES_AT = values(
  fc.oneof(fc.constant(null), dateText(futureDate)),
  dateText(pastDate),
  fc.constantFrom<unknown>(
    "2027-02-30",
    "2027-13-01",
    "2030-01-01T00:00:00",
    "2030-01-01t00:00:00z",
    "2030-01-01T24:00:00Z",
    "2030-01-01 00:00:00Z",
    "2030-01-01T00:00Z",
    "+275760-09-13T00:00:00.000Z",
    "0000-01-01",
    "tomorrow",
    "",
  ),
  fc.integer({ min: 0, max: 2 ** 48 }),
  fc.string(),
);

const scope = fc.oneof(
  fc.constantFrom("*", "*:read"),
  fc
    .tuple(fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), fc.constantFrom("read", "write"))
    .map(([resource, access]) => `${resource}:${access}`),
);
const badScope = fc.oneof(
  fc.constantFrom(
    "domains:admin",
    "*:write",
    "domains",
    "domains:read ",
    " domains:read",
    "domains:READ",
    `${"a".repeat(65)}:read`,
    "dómains:read",
    "",
    "domains:read\n",
    "a:b:read",
  ),
  fc.string({ maxLength: 20 }),
);
const SCOPES = values(
  fc.uniqueArray(scope, { minLength: 1, maxLength: 50 }),
  fc.array(fc.oneof(scope, badScope), { maxLength: 5 }),
  fc.uniqueArray(scope, { minLength: 51, maxLength: 60 }),
  fc.constantFrom<unknown>([], "*", ["*", "*"], ["domains:read", "domains:read"], [1], [["*"]]),
);

/** Addresses already in canonical form (what is stored is what was sent), and forms that are none. */
const canonicalIp = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 255 })).map((p) => p.join(".")),
  fc
    .array(fc.nat(0xffff), { minLength: 8, maxLength: 8 })
    .map((groups) => new URL(`http://[${groups.map((g) => g.toString(16)).join(":")}]/`).hostname.slice(1, -1))
    .filter((address) => !address.startsWith("::ffff:")),
);
const ALLOWED_IPS = values(
  fc.oneof(fc.constant(null), fc.uniqueArray(canonicalIp, { minLength: 1, maxLength: 20 })),
  fc.array(fc.oneof(canonicalIp, fc.constantFrom("10.0.0.300", "010.0.0.1", "fe80::1%eth0", "10.0.0.1 ", "")), {
    maxLength: 4,
  }),
  fc.uniqueArray(canonicalIp, { minLength: 21, maxLength: 25 }),
  fc.constantFrom<unknown>([], "10.0.0.1", [["10.0.0.1"]], [10]),
);
const canonicalDomain = fc
  .tuple(
    fc.array(fc.stringMatching(/^[a-z0-9]{1,20}$/), { minLength: 1, maxLength: 3 }),
    fc.stringMatching(/^[a-z]{2,6}$/),
  )
  .map(([labels, tld]) => [...labels, tld].join("."));
const ALLOWED_DOMAINS = values(
  fc.oneof(fc.constant(null), fc.uniqueArray(canonicalDomain, { minLength: 1, maxLength: 20 })),
  fc.array(fc.oneof(canonicalDomain, fc.constantFrom("acme..test", "*.acme.test", "x@acme.test", "acme test", "")), {
    maxLength: 4,
  }),
  fc.uniqueArray(canonicalDomain, { minLength: 21, maxLength: 25 }),
  fc.constantFrom<unknown>([], "acme.test", [["acme.test"]]),
);
const MODE = values(fc.constantFrom("live", "test"), fc.constantFrom<unknown>("LIVE", "sandbox", "", 1));

const simpleEmail = fc
  .tuple(
    fc.stringMatching(/^[a-z0-9]{1,20}$/),
    fc.stringMatching(/^[a-z0-9]{1,20}$/),
    fc.stringMatching(/^[a-z]{2,6}$/),
    fc.boolean(),
  )
  .map(([local, domain, tld, upper]) => {
    const email = `${local}@${domain}.${tld}`;
    return upper ? email.toUpperCase() : email;
  });
const EMAIL = values(
  // Two spellings of one address, so a second creation meets the taken email.
  fc.oneof(simpleEmail, fc.constantFrom("dup@example.com", "DUP@Example.com")),
  fc.emailAddress(),
  fc.string(),
  fc.constantFrom("", "@", "a@", "@b.co", "a@b", "a@@b.co", " a@b.co", "a b@c.co", `${"a".repeat(250)}@b.co`),
);
const PASSWORD = values(
  fc.string({ minLength: 8, maxLength: 40 }),
  fc.string({ maxLength: 7 }),
  fc.string({ minLength: 257, maxLength: 300 }),
  fc.string({ unit: anyCodeUnit, minLength: 8, maxLength: 20 }),
);
const GRACE = values(
  fc.integer({ min: 0, max: MAX_GRACE_SECONDS }),
  fc.integer(),
  fc.constantFrom<unknown>(-1, MAX_GRACE_SECONDS + 1, 0.5, "60", null, 1e308),
);
const DISABLED = values(fc.boolean(), fc.constantFrom<unknown>("true", "false", 1, 0, null));

const WEBHOOK_URL = values(
  fc.oneof(
    fc.constant(null),
    fc
      .tuple(fc.stringMatching(/^[a-z]{1,10}$/), fc.stringMatching(/^[a-z0-9]{0,10}$/))
      .map(([host, path]) => `https://hooks.${host}.example.com/${path}`),
    fc.integer({ min: 10, max: 65_535 }).map((port) => `http://127.0.0.1:${port}/hooks`),
  ),
  fc.constantFrom<unknown>(
    "http://10.0.0.1/hooks",
    "https://192.168.1.1/",
    "https://169.254.169.254/latest",
    "https://[fd00::1]/",
    "ftp://hooks.example.com/",
    "javascript:alert(1)",
    "hooks.example.com",
  ),
  fc.string({ maxLength: 40 }),
);

/** Fields nobody asked for: server-owned ones, prototype names, random ones. */
const extraFields = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom("id", "key", "accountId", "prefix", "secretHash", "revokedAt", "createdAt"),
      fc.constantFrom("__proto__", "constructor", "toString", "Name", "name ", "NAME"),
      fc.string({ maxLength: 10 }),
    ),
    fc.jsonValue({ maxDepth: 2 }),
  ),
  { minLength: 1, maxLength: 2 },
);

/**
 * Bodies with the given fields, each left out now and then: half of them
 * with right values only, the others with any values and, sometimes, extra
 * fields.
 */
function objectOf(fields: Record<string, Values>): fc.Arbitrary<Record<string, unknown>> {
  const record = (pick: (field: Values) => fc.Arbitrary<unknown>) =>
    fc.record(
      Object.fromEntries(
        Object.entries(fields).map(([name, field]) => [name, fc.option(pick(field), { nil: undefined, freq: 6 })]),
      ),
    );
  const extras = fc.oneof({ weight: 4, arbitrary: fc.constant([] as Array<[string, unknown]>) }, extraFields);
  return fc
    .oneof(
      fc.tuple(
        record((field) => field.good),
        fc.constant([] as Array<[string, unknown]>),
      ),
      fc.tuple(
        record((field) => field.any),
        extras,
      ),
    )
    .map(([present, extra]) =>
      // fromEntries defines "__proto__" as an own field, as JSON.parse does.
      Object.fromEntries([...Object.entries(present).filter(([, value]) => value !== undefined), ...extra]),
    );
}

// ---------------------------------------------------------------------------
// How the body travels.

type Framing =
  | { kind: "json"; contentType: string }
  | { kind: "wrongType"; contentType: string | null }
  | { kind: "invalidJson"; text: string }
  | { kind: "value"; value: unknown }
  | { kind: "none" }
  | { kind: "badToken"; token: string };

const JSON_TYPES = ["application/json", "application/json; charset=utf-8", "application/json;charset=UTF-8"];
const WRONG_TYPES = [
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/xml",
  "application/jsonx",
  "text/json",
  null,
];

const isInvalidJson = (text: string) => {
  try {
    JSON.parse(text);
    return false;
  } catch {
    return !text.startsWith("\ufeff"); // a BOM is dropped when the body is decoded
  }
};

const invalidJsonText = fc.oneof(
  fc.constantFrom(
    "",
    "{",
    '{"name":}',
    "{'name':'x'}",
    '{"name":"x",}',
    "NaN",
    "undefined",
    "[1,]",
    '{"name":"x"}}',
    "\u0000",
    '{"name":"x" "rateLimit":null}',
    '{"name":"\\u12"}',
  ),
  fc
    .jsonValue()
    .map((value) => JSON.stringify(value))
    .chain((text) => fc.nat(Math.max(0, text.length - 1)).map((end) => text.slice(0, end))),
  fc.string(),
);

const framing: fc.Arbitrary<Framing> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.record({ kind: fc.constant("json" as const), contentType: fc.constantFrom(...JSON_TYPES) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("wrongType" as const), contentType: fc.constantFrom(...WRONG_TYPES) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("invalidJson" as const), text: invalidJsonText.filter(isInvalidJson) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("value" as const), value: fc.jsonValue({ maxDepth: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "none" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("badToken" as const),
      token: fc
        .oneof(
          fc.string({ maxLength: 60 }),
          fc.constantFrom("", ADMIN_TOKEN.toUpperCase(), `${ADMIN_TOKEN}x`, ADMIN_TOKEN.slice(0, -1), "Bearer"),
        )
        .filter((token) => token.trim() !== ADMIN_TOKEN),
    }),
  },
);

interface Sent {
  response: Response;
  text: string;
  /** What the server parsed (JSON round trip), when the body was JSON. */
  parsed: unknown;
  /** The model's verdict on the body, before the resource's existence is considered. */
  verdict: Verdict;
  /** The status the framing alone forces (401, 400), if any. */
  forced?: 400 | 401;
}

/** Sends `body` as `frame` says, and applies the model. */
async function send(
  method: string,
  path: string,
  body: Record<string, unknown>,
  frame: Framing,
  spec: Record<string, FieldSpec>,
): Promise<Sent> {
  let token = ADMIN_TOKEN;
  let contentType: string | null = "application/json";
  let payload: string | Uint8Array | undefined = JSON.stringify(body);
  let forced: 400 | 401 | undefined;
  switch (frame.kind) {
    case "json":
      contentType = frame.contentType;
      break;
    case "wrongType":
      contentType = frame.contentType;
      forced = 400;
      break;
    case "invalidJson":
      payload = frame.text;
      forced = 400;
      break;
    case "value":
      payload = JSON.stringify(frame.value);
      break;
    case "none":
      contentType = null;
      payload = undefined;
      break;
    case "badToken":
      token = frame.token;
      forced = 401;
      break;
  }
  const headers = new Headers({ Authorization: `Bearer ${token}` });
  if (contentType !== null) headers.set("Content-Type", contentType);
  // Bytes, so that no Content-Type is added when there should be none.
  const bytes = payload === undefined ? undefined : new TextEncoder().encode(payload);
  const response = await gateway(`/admin${path}`, { method, headers, body: bytes });
  const text = await response.text();
  const parsed = frame.kind === "none" ? {} : frame.kind === "invalidJson" ? undefined : JSON.parse(payload as string);
  return { response, text, parsed, verdict: forced ? false : bodyVerdict(parsed, spec), forced };
}

/** The status the request must get: the forced one, the model's, 404 for a missing resource. */
function expectStatus(sent: Sent, success: number, exists: boolean): void {
  const { response, text, verdict, forced } = sent;
  const context = `${JSON.stringify(sent.parsed)?.slice(0, 300)} -> ${response.status} ${text.slice(0, 300)}`;
  expect(response.status, context).not.toBe(500);
  if (forced) {
    expect(response.status, context).toBe(forced);
    return;
  }
  const accepted = exists ? success : 404;
  if (verdict === true) expect(response.status, context).toBe(accepted);
  else if (verdict === false) expect(response.status, context).toBe(400);
  else expect([accepted, 400], context).toContain(response.status);
}

/** The documented envelope, success or error, never a stack trace. */
async function expectShape(sent: Sent): Promise<Record<string, unknown> | undefined> {
  const { response, text } = sent;
  expect(response.headers.get("x-request-id")).toBeTruthy();
  if (response.status >= 400) {
    const error = await expectEnvelope(response, text);
    if (response.status === 400) expect(error.message).toMatch(/^[^:]*:/); // names the field, or "body"
    if (sent.forced === 401) expect(error.code).toBe("UNAUTHORIZED");
    return undefined;
  }
  expectNoLeak(text);
  const body = JSON.parse(text) as { success: boolean; data: Record<string, unknown> };
  expect(Object.keys(body).sort()).toEqual(["data", "success"]);
  expect(body.success).toBe(true);
  return body.data;
}

// ---------------------------------------------------------------------------
// What D1 holds, to tell a write from none.

interface Snapshot {
  accounts: number;
  users: number;
  keys: number;
  audit: number;
  rows: unknown[];
}

async function snapshot(rows: Array<{ table: "accounts" | "api_keys"; id: string }> = []): Promise<Snapshot> {
  const results = await env.DB.batch([
    env.DB.prepare("SELECT count(*) AS n FROM accounts"),
    env.DB.prepare("SELECT count(*) AS n FROM users"),
    env.DB.prepare("SELECT count(*) AS n FROM api_keys"),
    env.DB.prepare("SELECT count(*) AS n FROM audit_log"),
    ...rows.map(({ table, id }) => env.DB.prepare(`SELECT * FROM ${table} WHERE id = ?`).bind(id)),
  ]);
  const count = (i: number) => (results[i]?.results[0] as { n: number } | undefined)?.n ?? Number.NaN;
  return {
    accounts: count(0),
    users: count(1),
    keys: count(2),
    audit: count(3),
    rows: results.slice(4).map((result) => result.results[0] ?? null),
  };
}

/**
 * After a refusal nothing changed, audit log included; after a success
 * exactly the expected counts moved, and the audit log grew by one entry.
 */
function expectWrites(before: Snapshot, after: Snapshot, ok: boolean, delta: Partial<Snapshot> = {}): void {
  if (!ok) {
    expect(after).toEqual(before);
    return;
  }
  expect(after.accounts).toBe(before.accounts + (delta.accounts ?? 0));
  expect(after.users).toBe(before.users + (delta.users ?? 0));
  expect(after.keys).toBe(before.keys + (delta.keys ?? 0));
  expect(after.audit).toBe(before.audit + 1);
}

/** An account id: the real one mostly, else one that does not exist. */
const accountRef = fc.oneof(
  { weight: 6, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,30}$/) },
);

const expectedLimit = (value: unknown) => (isObject(value) ? value : null);

interface ListedKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  rateLimit: unknown;
  expiresAt: string | null;
}

async function listed(accountId: string, keyId: string): Promise<ListedKey | undefined> {
  const response = await gateway(`/admin/accounts/${accountId}/keys`, {
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  expect(response.status).toBe(200);
  const { data } = (await response.json()) as { data: ListedKey[] };
  return data.find((key) => key.id === keyId);
}

const RUNS = { numRuns: 100 };
const JSON_BODY: Framing = { kind: "json", contentType: "application/json" };

describe("admin API, fuzzed JSON bodies", () => {
  // Each test gets its own account and key: one test's writes (keys up to the cap, a disabled
  // account, a webhook URL) must not decide another's outcome, whatever the order.
  let accountId: string;
  let keyId: string;

  beforeEach(async () => {
    accountId = (await createAccount({ name: "Fuzz target" })).id;
    keyId = (await createKey(accountId, { name: "Fuzz key" })).id;
  });

  it("POST /accounts creates exactly the account asked for, or nothing", async () => {
    const body = objectOf({ name: NAME, rateLimit: RATE_LIMIT });
    await fc.assert(
      fc.asyncProperty(body, framing, async (input, frame) => {
        const before = await snapshot();
        const sent = await send("POST", "/accounts", input, frame, SPECS.createAccount);
        expectStatus(sent, 201, true);
        const data = await expectShape(sent);
        expectWrites(before, await snapshot(), sent.response.status === 201, { accounts: 1 });
        if (data) {
          const parsed = sent.parsed as Record<string, unknown>;
          const row = await env.DB.prepare("SELECT * FROM accounts WHERE id = ?")
            .bind(data.id)
            .first<{ name: string; rate_limit_limit: number | null }>();
          expect(data.name).toBe((parsed.name as string).trim());
          expect(row?.name).toBe(data.name);
          expect(data.rateLimit).toEqual(expectedLimit(parsed.rateLimit));
        }
      }),
      // A lone surrogate was once stored as U+FFFD.
      { ...RUNS, examples: [[{ name: "\ud800x" }, JSON_BODY]] },
    );
  });

  it("PATCH /accounts/{id} changes exactly what was asked, or nothing", async () => {
    const body = objectOf({ name: NAME, rateLimit: RATE_LIMIT, disabled: DISABLED, webhookUrl: WEBHOOK_URL });
    await fc.assert(
      fc.asyncProperty(body, framing, accountRef, async (input, frame, ref) => {
        const id = ref ?? accountId;
        const before = await snapshot([{ table: "accounts", id: accountId }]);
        const sent = await send("PATCH", `/accounts/${id}`, input, frame, SPECS.updateAccount);
        expectStatus(sent, 200, ref === null);
        const data = await expectShape(sent);
        const after = await snapshot([{ table: "accounts", id: accountId }]);
        expectWrites(before, after, sent.response.status === 200);
        if (data) {
          const parsed = sent.parsed as Record<string, unknown>;
          const was = before.rows[0] as { name: string; disabled: number };
          expect(data.name).toBe(typeof parsed.name === "string" ? parsed.name.trim() : was.name);
          expect((after.rows[0] as { name: string }).name).toBe(data.name);
          if ("rateLimit" in parsed) expect(data.rateLimit).toEqual(expectedLimit(parsed.rateLimit));
          expect(data.disabled).toBe(typeof parsed.disabled === "boolean" ? parsed.disabled : was.disabled === 1);
          // A new webhook URL, and only that, shows a new secret, once; the row keeps it sealed, never as shown.
          const stored = after.rows[0] as { webhook_url: string | null; webhook_secret: string | null };
          if (typeof parsed.webhookUrl === "string") {
            expect(data.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
            expect(stored.webhook_url).toBe(parsed.webhookUrl);
            expect(stored.webhook_secret).not.toContain(data.webhookSecret as string);
          } else {
            expect(data).not.toHaveProperty("webhookSecret");
            if (parsed.webhookUrl === null) expect(stored).toMatchObject({ webhook_url: null, webhook_secret: null });
          }
        }
      }),
      RUNS,
    );
  });

  it("POST /accounts/{id}/users creates one login per email, or nothing", async () => {
    const body = objectOf({ email: EMAIL, password: PASSWORD });
    const taken = new Set<string>();
    await fc.assert(
      fc.asyncProperty(body, framing, accountRef, async (input, frame, ref) => {
        const before = await snapshot();
        const sent = await send("POST", `/accounts/${ref ?? accountId}/users`, input, frame, SPECS.createUser);
        const email = (sent.parsed as { email?: unknown } | undefined)?.email;
        const duplicate = typeof email === "string" && taken.has(email.toLowerCase());
        if (sent.response.status === 201) taken.add((email as string).toLowerCase());
        if (duplicate && ref === null && sent.verdict !== false) {
          // A taken email, valid otherwise: 409 (or 400 where the model cannot tell the email's validity).
          expect(sent.verdict === true ? [409] : [409, 400]).toContain(sent.response.status);
        } else {
          expectStatus(sent, 201, ref === null);
        }
        const data = await expectShape(sent);
        expectWrites(before, await snapshot(), sent.response.status === 201, { users: 1 });
        if (data) {
          expect(data.email).toBe((email as string).toLowerCase());
          expect(data.accountId).toBe(accountId);
          expect(data).not.toHaveProperty("password");
          expect(data).not.toHaveProperty("passwordHash");
        }
      }),
      { numRuns: 60 },
    );
  });

  it("POST /accounts/{id}/keys creates exactly the key asked for, or nothing", async () => {
    const body = objectOf({
      name: NAME,
      expiresAt: EXPIRES_AT,
      scopes: SCOPES,
      rateLimit: RATE_LIMIT,
      mode: MODE,
      allowedIps: ALLOWED_IPS,
      allowedSenderDomains: ALLOWED_DOMAINS,
    });
    await fc.assert(
      fc.asyncProperty(body, framing, accountRef, async (input, frame, ref) => {
        const before = await snapshot();
        const sent = await send("POST", `/accounts/${ref ?? accountId}/keys`, input, frame, SPECS.createKey);
        expectStatus(sent, 201, ref === null);
        const data = await expectShape(sent);
        expectWrites(before, await snapshot(), sent.response.status === 201, { keys: 1 });
        if (data) {
          const parsed = sent.parsed as Record<string, unknown>;
          expect(parseKey(data.key as string)?.prefix).toBe(data.prefix);
          const key = await listed(accountId, data.id as string);
          expect(key).toEqual({
            id: data.id,
            name: (parsed.name as string).trim(),
            prefix: data.prefix,
            scopes: parsed.scopes ?? ["*"],
            rateLimit: expectedLimit(parsed.rateLimit),
            mode: parsed.mode ?? "live",
            allowedIps: parsed.allowedIps ?? null,
            allowedSenderDomains: parsed.allowedSenderDomains ?? null,
            createdAt: data.createdAt,
            expiresAt: typeof parsed.expiresAt === "string" ? new Date(parsed.expiresAt).toISOString() : null,
            lastUsedAt: null,
            leakedAt: null,
          });
        }
      }),
      { ...RUNS, examples: [[{ name: "\udfff" }, JSON_BODY, null]] },
    );
  });

  it("PATCH /accounts/{id}/keys/{keyId} changes exactly what was asked, or nothing", async () => {
    const body = objectOf({
      name: NAME,
      expiresAt: EXPIRES_AT,
      scopes: SCOPES,
      rateLimit: RATE_LIMIT,
      allowedIps: ALLOWED_IPS,
      allowedSenderDomains: ALLOWED_DOMAINS,
      mode: values(fc.constant("test"), fc.constant("live")),
    });
    const keyRef = fc.oneof(
      { weight: 6, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.stringMatching(/^key_[A-Za-z0-9]{20}$/) },
    );
    await fc.assert(
      fc.asyncProperty(body, framing, accountRef, keyRef, async (input, frame, ref, otherKey) => {
        const path = `/accounts/${ref ?? accountId}/keys/${otherKey ?? keyId}`;
        const before = await snapshot([{ table: "api_keys", id: keyId }]);
        const was = await listed(accountId, keyId);
        const sent = await send("PATCH", path, input, frame, SPECS.updateKey);
        expectStatus(sent, 200, ref === null && otherKey === null);
        const data = await expectShape(sent);
        const after = await snapshot([{ table: "api_keys", id: keyId }]);
        expectWrites(before, after, sent.response.status === 200);
        if (data) {
          const parsed = sent.parsed as Record<string, unknown>;
          const expected = {
            ...was,
            ...(typeof parsed.name === "string" && { name: parsed.name.trim() }),
            ...("scopes" in parsed && { scopes: parsed.scopes }),
            ...("rateLimit" in parsed && { rateLimit: expectedLimit(parsed.rateLimit) }),
            ...("allowedIps" in parsed && { allowedIps: parsed.allowedIps }),
            ...("allowedSenderDomains" in parsed && { allowedSenderDomains: parsed.allowedSenderDomains }),
            ...("expiresAt" in parsed && {
              expiresAt: typeof parsed.expiresAt === "string" ? new Date(parsed.expiresAt).toISOString() : null,
            }),
          };
          expect(data).toEqual(expected);
          expect(await listed(accountId, keyId)).toEqual(expected);
        }
      }),
      RUNS,
    );
  });

  it("POST .../rotate issues one successor, or changes nothing", async () => {
    const body = objectOf({ gracePeriodSeconds: GRACE });
    // Each run rotates the key the last rotation issued: a rotated-out key cannot be rotated again (409).
    let current = keyId;
    await fc.assert(
      fc.asyncProperty(body, framing, accountRef, async (input, frame, ref) => {
        const before = await snapshot([{ table: "api_keys", id: current }]);
        const sent = await send(
          "POST",
          `/accounts/${ref ?? accountId}/keys/${current}/rotate`,
          input,
          frame,
          SPECS.rotate,
        );
        expectStatus(sent, 201, ref === null);
        const data = await expectShape(sent);
        const after = await snapshot([{ table: "api_keys", id: current }]);
        expectWrites(before, after, sent.response.status === 201, { keys: 1 });
        if (data) {
          const old = before.rows[0] as { name: string; expires_at: number | null };
          expect(data.name).toBe(old.name);
          expect(parseKey(data.key as string)?.prefix).toBe(data.prefix);
          expect(await listed(accountId, data.id as string)).toBeDefined();
          // The old key now expires after the grace period, or earlier if it already did.
          const graceEnd =
            Date.now() + ((sent.parsed as { gracePeriodSeconds?: number }).gracePeriodSeconds ?? 0) * 1000;
          const expiry = (after.rows[0] as { expires_at: number }).expires_at;
          if (old.expires_at !== null && old.expires_at < graceEnd - 10_000) expect(expiry).toBe(old.expires_at);
          else expect(Math.abs(expiry - Math.min(graceEnd, old.expires_at ?? graceEnd))).toBeLessThan(10_000);
          current = data.id as string;
        }
      }),
      RUNS,
    );
  });
});
