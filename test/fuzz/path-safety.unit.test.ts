/**
 * Path safety's pure check (`assertSafePath`, src/proxy/path.ts), fuzzed in
 * Node: plain paths pass; a dot segment, `;`, `\`, NUL or an encoded `/`
 * is refused at any depth of percent-encoding; and whatever the string, the
 * check either passes or refuses with the one 400, never anything else.
 * What reaches the origin is test/proxy/path-safety.test.ts (workers).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/errors";
import { assertSafePath } from "../../src/proxy/path";

/** What assertSafePath did: "ok", "refused" (its 400), or the unexpected thing it threw. */
function verdict(pathname: string): "ok" | "refused" | unknown {
  try {
    assertSafePath(pathname);
    return "ok";
  } catch (error) {
    const refused = error instanceof ApiError && error.code === "BAD_REQUEST" && error.message.startsWith("path: ");
    return refused ? "refused" : error;
  }
}

/** Percent-encodes every character of `text` (as Latin-1 bytes), `times` times over. */
function encode(text: string, times: number): string {
  let out = text;
  for (let i = 0; i < times; i++) {
    out =
      i === 0
        ? [...out].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join("")
        : out.replaceAll("%", "%25");
  }
  return out;
}

/** A segment a client may send: unreserved characters (at least one not a dot), some percent-encoded letters. */
const segment = fc
  .array(fc.oneof({ weight: 5, arbitrary: fc.stringMatching(/^[A-Za-z0-9._~-]$/) }, fc.constantFrom("%41", "%7a")), {
    minLength: 1,
    maxLength: 12,
  })
  .map((parts) => parts.join(""))
  .filter((s) => !/^\.+$/.test(s));
const plainPath = fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => `/v1/${parts.join("/")}`);

/** What an origin could read as another path, and how deep it is encoded (a `/` inside a segment only when encoded). */
const trick = fc.oneof(
  fc.record({ text: fc.constantFrom("..", "."), whole: fc.constant(true), times: fc.nat(5) }),
  fc.record({ text: fc.constantFrom(";", "\\", "\0"), whole: fc.constant(false), times: fc.nat(5) }),
  fc.record({ text: fc.constant("/"), whole: fc.constant(false), times: fc.integer({ min: 1, max: 5 }) }),
);

describe("assertSafePath, fuzzed", () => {
  it("passes every path of plain segments", () => {
    fc.assert(
      fc.property(plainPath, (path) => {
        expect(verdict(path)).toBe("ok");
      }),
      { numRuns: 500 },
    );
  });

  it("refuses a dot segment, ';', '\\', NUL or a '/' inside a segment, encoded up to five times, anywhere in the path", () => {
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.nat(), trick, (parts, at, bad) => {
        const index = at % (parts.length + 1);
        const inserted = encode(bad.text, bad.times);
        const segments = [...parts];
        if (bad.whole) segments.splice(index, 0, inserted);
        else segments[Math.min(index, segments.length - 1)] += inserted;
        expect(verdict(`/v1/${segments.join("/")}`)).toBe("refused");
      }),
      { numRuns: 500 },
    );
  });

  it("either passes or refuses with the one 400, whatever the string", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (text) => {
        expect(["ok", "refused"]).toContain(verdict(`/v1/${text}`));
      }),
      { numRuns: 1000 },
    );
  });
});
