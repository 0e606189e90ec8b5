/**
 * Fuzzing the dashboard's forms: log in, create a key, delete a key. Each
 * post has fuzzed fields (random, Unicode, HTML, huge, missing or sent
 * twice), a right, wrong, missing or doubled CSRF token, a right or foreign
 * Origin, and a form, multipart, text, JSON or missing Content-Type.
 *
 * A model of the dashboard's documented checks, in their order (16 KB body
 * limit: 413; foreign Origin: 403; CSRF token: 403; fields: 400; login
 * throttle: 429; credentials: 401), says which status each post must get.
 * Properties: that status, never a 500 or a stack trace, an HTML page for
 * every error, field values never rendered unescaped, and keys created or
 * revoked only by the posts the model accepts (a created key is shown once,
 * on the page the 303 leads to).
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { accountWithUser, Browser, csrfTokenOf, ORIGIN, signedIn } from "../support/dashboard";
import { expectNoLeak } from "../support/envelope";
import { ADMIN_TOKEN, createKey, gateway } from "../support/helpers";
import { anyCodeUnit } from "./invariants";

const MAX_FORM_BYTES = 16 * 1024;
const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------
// How a form travels.

type Field = [name: string, value: string | "FILE"];

interface Post {
  contentType: "urlencoded" | "multipart" | "text" | "json" | "none";
  origin: "same" | "foreign" | "absent" | "sec-fetch-site" | "null";
  /** Where the right CSRF token goes: nowhere, alone, or before or after a wrong one. */
  csrf: "right" | "absent" | "wrong" | "empty" | "wrongThenRight" | "rightThenWrong";
  wrongToken: string;
}

const post: fc.Arbitrary<Post> = fc.record({
  contentType: fc.oneof(
    { weight: 8, arbitrary: fc.constant("urlencoded" as const) },
    { weight: 3, arbitrary: fc.constant("multipart" as const) },
    { weight: 1, arbitrary: fc.constantFrom("text" as const, "json" as const, "none" as const) },
  ),
  origin: fc.oneof(
    { weight: 10, arbitrary: fc.constant("same" as const) },
    { weight: 1, arbitrary: fc.constantFrom("foreign" as const, "absent" as const, "sec-fetch-site" as const) },
    { weight: 1, arbitrary: fc.constant("null" as const) },
  ),
  csrf: fc.oneof(
    { weight: 10, arbitrary: fc.constant("right" as const) },
    {
      weight: 3,
      arbitrary: fc.constantFrom(
        "absent" as const,
        "wrong" as const,
        "empty" as const,
        "wrongThenRight" as const,
        "rightThenWrong" as const,
      ),
    },
  ),
  wrongToken: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), fc.stringMatching(/^[0-9a-f]{64}$/), fc.string()),
});

/** A field value: short text, Unicode, HTML, lone surrogates, or now and then over the body limit. */
const text = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: anyCodeUnit, maxLength: 20 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '<script>alert("x")</script>',
      '"><img src=x onerror=alert(1)>',
      "&amp;&lt;",
      "' OR 1=1 --",
      "%00",
      "a+b%20c",
    ),
  },
  { weight: 1, arbitrary: fc.string({ minLength: 16_400, maxLength: 17_000 }) },
);

/** Fields nobody asked for. (The runtime's own multipart encoder refuses a name ending in a backslash.) */
const extraFields = fc.array(
  fc.tuple(
    fc.oneof(
      fc.constantFrom("_csrf[]", "email[]", "submit", "redirect", ""),
      fc.string({ maxLength: 10 }).filter((name) => !name.endsWith("\\")),
    ),
    text,
  ),
  { maxLength: 2 },
);

interface Built {
  init: RequestInit;
  size: number;
  /** Whether Hono's csrf() takes the request for a form post (and so checks its Origin). */
  formLike: boolean;
  /** A multipart body the runtime cannot parse (a part without a name): "That request could not be read". */
  unreadable: boolean;
  /** What the server reads as the fields (the last value of each; a file reads as ""), or null if none. */
  fields: Map<string, string> | null;
}

/** The request for `fields` sent as `plan` says, and what the server will read from it. */
async function build(plan: Post, token: string, sent: Field[], method = "POST"): Promise<Built> {
  const csrf: Field[] = {
    right: [["_csrf", token]],
    absent: [],
    wrong: [["_csrf", plan.wrongToken]],
    empty: [["_csrf", ""]],
    wrongThenRight: [
      ["_csrf", plan.wrongToken],
      ["_csrf", token],
    ],
    rightThenWrong: [
      ["_csrf", token],
      ["_csrf", plan.wrongToken],
    ],
  }[plan.csrf] as Field[];
  const all = [...csrf, ...sent];
  const headers = new Headers();
  if (plan.origin === "same") headers.set("Origin", ORIGIN);
  if (plan.origin === "foreign") headers.set("Origin", "https://evil.example");
  if (plan.origin === "null") headers.set("Origin", "null");
  if (plan.origin === "sec-fetch-site") headers.set("Sec-Fetch-Site", "same-origin");

  let bytes: Uint8Array;
  let contentType: string | null;
  if (plan.contentType === "multipart") {
    const form = new FormData();
    for (const [name, value] of all) {
      if (value === "FILE") form.append(name, new Blob(["file body"]), "f.txt");
      else form.append(name, value);
    }
    const encoded = new Response(form);
    contentType = encoded.headers.get("content-type");
    bytes = new Uint8Array(await encoded.arrayBuffer());
  } else {
    const form = new URLSearchParams(all.map(([name, value]) => [name, value === "FILE" ? "" : value]));
    const body = plan.contentType === "json" ? JSON.stringify(Object.fromEntries(form)) : form.toString();
    bytes = new TextEncoder().encode(body);
    contentType = {
      urlencoded: "application/x-www-form-urlencoded",
      text: "text/plain",
      json: "application/json",
      none: null,
    }[plan.contentType];
  }
  if (contentType !== null) headers.set("Content-Type", contentType);

  // What the server reads: the body as the runtime parses it (a part without a name makes it unreadable).
  let read: Map<string, string> | null = null;
  let unreadable = false;
  if (plan.contentType === "urlencoded" || plan.contentType === "multipart") {
    try {
      const parsed = await new Request(ORIGIN, { method: "POST", headers, body: bytes }).formData();
      read = new Map([...parsed].map(([name, value]) => [name, typeof value === "string" ? value : ""]));
    } catch {
      unreadable = true;
    }
  }
  return {
    init: { method, headers, body: bytes },
    size: bytes.byteLength,
    // Hono's csrf() checks the Origin of anything a <form> can send; no Content-Type counts as text/plain.
    formLike: plan.contentType !== "json",
    unreadable,
    fields: read,
  };
}

/** The status the dashboard's checks before the route give, if one of them refuses the post. */
function refusedBefore(built: Built, plan: Post, token: string): 413 | 403 | 400 | undefined {
  if (built.size > MAX_FORM_BYTES) return 413;
  const sameSite = plan.origin === "same" || plan.origin === "sec-fetch-site";
  if (built.formLike && !sameSite) return 403;
  if (built.unreadable) return 400;
  if (built.fields?.get("_csrf") !== token) return 403;
  return undefined;
}

const escapeHtml = (value: string) =>
  value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** An HTML page (or a redirect), no stack trace, and no field value rendered unescaped. */
function expectPage(response: Response, html: string, fields: Field[]): void {
  expect(response.status, html.slice(0, 300)).not.toBe(500);
  expect(response.headers.get("cache-control")).toBe("no-store");
  if (response.status === 303) return;
  expect(response.headers.get("content-type")).toMatch(/^text\/html/);
  let rest = html;
  for (const [, value] of fields) {
    if (value === "FILE") continue;
    const shown = value.toWellFormed();
    // Markup in a value must come back escaped (long enough not to occur in the page by chance).
    if (shown.trim().length >= 8 && /<[a-z/!]/i.test(shown)) expect(html).not.toContain(shown.trim());
    rest = rest.replaceAll(escapeHtml(shown), "").replaceAll(escapeHtml(shown.trim()), "");
  }
  expectNoLeak(rest);
}

const keyCount = async (accountId: string) =>
  (
    await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE account_id = ? AND revoked_at IS NULL")
      .bind(accountId)
      .first<{ n: number }>()
  )?.n ?? 0;

// ---------------------------------------------------------------------------

describe("dashboard forms, fuzzed", () => {
  it("login: the model's status, a session only for the right email, password and token", async () => {
    const user = await accountWithUser("correct horse battery");
    /** Failed attempts booked per email (the throttle refuses the 6th in 15 minutes). */
    const failures = new Map<string, number>();
    const email = fc.oneof(
      { weight: 3, arbitrary: fc.constant(user.email) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.constantFrom(" ", "\t", ""), fc.boolean(), fc.constantFrom(" ", "\n", ""))
          .map(([before, upper, after]) => before + (upper ? user.email.toUpperCase() : user.email) + after),
      },
      // An address with no login: its failures pile up until the throttle refuses it.
      { weight: 4, arbitrary: fc.constant("nobody@acme.test") },
      { weight: 3, arbitrary: text },
      { weight: 1, arbitrary: fc.constant("FILE" as const) },
    );
    const password = fc.oneof(
      { weight: 3, arbitrary: fc.constant(user.password) },
      { weight: 1, arbitrary: fc.constantFrom(`${user.password} `, user.password.toUpperCase(), "") },
      { weight: 3, arbitrary: text },
    );
    const fields = fc
      .tuple(
        fc.option(email, { nil: undefined, freq: 8 }),
        fc.option(password, { nil: undefined, freq: 8 }),
        extraFields,
      )
      .map(([e, p, extra]): Field[] => [
        ...(e === undefined ? [] : [["email", e] as Field]),
        ...(p === undefined ? [] : [["password", p] as Field]),
        ...extra,
      ]);

    await fc.assert(
      fc.asyncProperty(post, fields, async (plan, form) => {
        const browser = new Browser();
        await browser.get("/dashboard/login");
        const token = csrfTokenOf(browser.html) as string;
        expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
        const built = await build(plan, token, form);

        // The model, updated before any assertion so that it stays in step with the server.
        let expected: number | undefined = refusedBefore(built, plan, token);
        const sentEmail = (built.fields?.get("email") ?? "").trim().toLowerCase().slice(0, 255);
        const sentPassword = built.fields?.get("password") ?? "";
        if (expected === undefined) {
          if (!sentEmail || !sentPassword) expected = 400;
          else if ((failures.get(sentEmail) ?? 0) >= 5) expected = 429;
          else if (sentEmail === user.email && sentPassword === user.password) expected = 303;
          else expected = 401;
          if (expected === 303) failures.delete(sentEmail);
          if (expected === 401) failures.set(sentEmail, (failures.get(sentEmail) ?? 0) + 1);
        }

        const response = await browser.fetch("/dashboard/login", built.init);
        const html = await response.text();
        expectPage(response, html, form);
        expect(response.status, `${JSON.stringify(form).slice(0, 300)}\n${html.slice(0, 200)}`).toBe(expected);
        expect(browser.cookies.has("momail_session")).toBe(expected === 303);
        if (expected === 303) expect(response.headers.get("location")).toBe("/dashboard/settings/api-keys");
        if (expected === 429) expect(Number(response.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
        if (built.unreadable && expected === 400) {
          expect(html).toContain("That request could not be read");
        } else if (expected === 400 || expected === 401 || expected === 429) {
          // The login form again, with a fresh token field and the message; never the password.
          expect(html).toContain('name="_csrf"');
          expect(html).not.toContain(user.password);
        }
      }),
      { numRuns: 80 },
    );
  });

  describe("signed in", () => {
    // Each test signs in to its own account: the keys one creates or deletes are not the other's.
    let accountId: string;
    let browser: Browser;
    let token: string;

    beforeEach(async () => {
      const session = await signedIn();
      accountId = session.account.id;
      browser = session.browser;
      await browser.get("/dashboard/settings/api-keys/new");
      token = csrfTokenOf(browser.html) as string;
    });

    it("create key: created exactly when the model accepts the form, as typed; otherwise nothing", async () => {
      const today = new Date().toISOString().slice(0, 10);
      const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);
      const name = fc.oneof(
        { weight: 4, arbitrary: fc.string({ minLength: 1, maxLength: 100 }) },
        { weight: 4, arbitrary: text },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.constantFrom(" ", "\t", "\u00a0"), fc.string({ minLength: 98, maxLength: 102 }))
            .map(([pad, value]) => pad + value + pad),
        },
        { weight: 1, arbitrary: fc.constant("FILE" as const) },
      );
      const expiresOn = fc.oneof(
        { weight: 3, arbitrary: fc.constant("") },
        {
          weight: 3,
          arbitrary: fc
            .date({ min: new Date(Date.now() + 2 * DAY_MS), max: new Date("9999-12-31"), noInvalidDate: true })
            .map((date) => date.toISOString().slice(0, 10)),
        },
        {
          weight: 1,
          arbitrary: fc
            .date({ min: new Date("1000-01-01"), max: new Date(Date.now() - DAY_MS), noInvalidDate: true })
            .map((date) => date.toISOString().slice(0, 10)),
        },
        {
          weight: 2,
          arbitrary: fc.constantFrom(
            today,
            day(1),
            ` ${day(3)} `,
            "2027-02-30",
            "2030-13-01",
            "2030-1-1",
            "2030-01-01T00:00:00Z",
            "+275760-09-13",
            "0000-01-01",
            "31/12/2030",
            "tomorrow",
          ),
        },
        { weight: 1, arbitrary: text },
      );
      const fields = fc
        .tuple(
          fc.array(name, { minLength: 0, maxLength: 2 }),
          fc.option(expiresOn, { nil: undefined, freq: 6 }),
          extraFields,
        )
        .map(([names, expires, extra]): Field[] => [
          ...names.map((value) => ["name", value] as Field),
          ...(expires === undefined ? [] : [["expiresOn", expires] as Field]),
          ...extra,
        ]);
      const method = fc.oneof(
        { weight: 12, arbitrary: fc.constant("POST") },
        { weight: 1, arbitrary: fc.constantFrom("PUT", "PATCH", "DELETE") },
      );

      await fc.assert(
        fc.asyncProperty(post, fields, method, async (plan, form, verb) => {
          const before = await keyCount(accountId);
          const built = await build(plan, token, form, verb);
          let expected: number | undefined = refusedBefore(built, plan, token);
          const typedName = built.fields?.get("name") ?? "";
          const typedExpiry = (built.fields?.get("expiresOn") ?? "").trim();
          if (expected === undefined && verb !== "POST") expected = 405;
          if (expected === undefined) {
            const nameOk = typedName.trim().length >= 1 && typedName.trim().length <= 100;
            const date = new Date(`${typedExpiry}T00:00:00Z`);
            const expiryOk =
              typedExpiry === "" ||
              (/^\d{4}-\d{2}-\d{2}$/.test(typedExpiry) &&
                !Number.isNaN(date.getTime()) &&
                date.toISOString().startsWith(typedExpiry) &&
                date.getTime() > Date.now());
            // Created: 303 to the page that shows the key once.
            expected = nameOk && expiryOk ? 303 : 400;
          }

          const response = await browser.fetch("/dashboard/settings/api-keys", built.init);
          const html = await response.text();
          expectPage(response, html, form);
          expect(response.status, `${JSON.stringify(form).slice(0, 300)}\n${html.slice(0, 200)}`).toBe(expected);
          expect(await keyCount(accountId)).toBe(before + (expected === 303 ? 1 : 0));
          if (expected === 405) expect(response.headers.get("allow")).toBe("GET, HEAD, POST");
          if (expected === 400) {
            const page = built.unreadable ? "That request could not be read" : "Please correct the highlighted fields.";
            expect(html).toContain(page);
          }
          if (expected === 303) {
            const shown = await browser.get(response.headers.get("location") as string);
            expect(shown.status).toBe(200);
            const key = /value="(mk_[a-z0-9]{8}_[A-Za-z0-9]{24})"/.exec(await shown.text())?.[1] as string;
            expect(key).toBeDefined();
            const list = await gateway(`/admin/accounts/${accountId}/keys`, {
              headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
            });
            const { data } = (await list.json()) as {
              data: Array<{ name: string; prefix: string; expiresAt: string }>;
            };
            const created = data.find((entry) => entry.prefix === key.slice(3, 11));
            expect(created?.name).toBe(typedName.trim());
            expect(created?.expiresAt).toBe(typedExpiry ? `${typedExpiry}T00:00:00.000Z` : null);
          }
        }),
        { numRuns: 120 },
      );
    });

    it("delete key: only the account's own live key, only with the right token; nothing else is revoked", async () => {
      const other = await accountWithUser();
      const theirs = await createKey(other.account.id, { name: "Not yours" });
      let live = await createKey(accountId, { name: "Deletable" });
      const revoked: string[] = [];
      const target = fc.oneof(
        { weight: 6, arbitrary: fc.constant({ kind: "own" as const }) },
        { weight: 1, arbitrary: fc.constant({ kind: "theirs" as const }) },
        { weight: 1, arbitrary: fc.constant({ kind: "revoked" as const }) },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant("random" as const),
            id: fc.stringMatching(/^key_[A-Za-z0-9]{20}$/),
          }),
        },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant("junk" as const), id: fc.string({ maxLength: 30 }) }) },
      );

      await fc.assert(
        fc.asyncProperty(post, target, extraFields, async (plan, aim, form) => {
          const id = {
            own: live.id,
            theirs: theirs.id,
            revoked: revoked.at(-1) ?? "key_00000000000000000000",
            random: aim.kind === "random" ? aim.id : "",
            junk: aim.kind === "junk" ? aim.id : "",
          }[aim.kind];
          const before = await keyCount(accountId);
          const built = await build(plan, token, form);
          const refused = refusedBefore(built, plan, token);
          const expected = refused ?? (aim.kind === "own" ? 303 : 404);

          const response = await browser.fetch(
            `/dashboard/settings/api-keys/${encodeURIComponent(id)}/delete`,
            built.init,
          );
          const html = await response.text();
          expectPage(response, html, form);
          expect(response.status, `${aim.kind} ${id}\n${html.slice(0, 200)}`).toBe(expected);
          expect(await keyCount(accountId)).toBe(before - (expected === 303 ? 1 : 0));
          const theirsRow = await env.DB.prepare("SELECT revoked_at FROM api_keys WHERE id = ?")
            .bind(theirs.id)
            .first<{ revoked_at: number | null }>();
          expect(theirsRow?.revoked_at).toBeNull();
          if (expected === 303) {
            expect(response.headers.get("location")).toBe(`/dashboard/settings/api-keys?deleted=${live.prefix}`);
            revoked.push(live.id);
            live = await createKey(accountId, { name: "Deletable" });
          }
        }),
        { numRuns: 100 },
      );
    });
  });
});
