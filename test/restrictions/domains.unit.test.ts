/**
 * Sender domains (src/restrictions/domains.ts and punycode.ts), in Node: the
 * one canonical form a domain is stored and compared in (lowercase ASCII,
 * Punycode, no trailing dot), the look-alikes that must never become the name
 * they look like, and which senders a list allows; then properties against
 * independent models (a label-by-label suffix rule, the URL parser's encoding
 * read back by our decoder).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { displayDomain, domainAllowed, normalizeDomain } from "../../src/restrictions/domains";
import { decodePunycode } from "../../src/restrictions/punycode";
import { expectEach } from "./expect-each";

/** The canonical domain, or its problem. */
function canonical(input: string): string {
  const result = normalizeDomain(input);
  if ("domain" in result) return result.domain;
  if (result.problem === "mapped") return `mapped → ${result.reads}`;
  if (result.problem === "wildcard") return `wildcard → ${result.meant}`;
  return result.problem;
}

describe("a domain name", () => {
  it("is stored lowercase, in Punycode, without the trailing dot of its fully qualified spelling", () => {
    expectEach(canonical, [
      ["acme.test", "acme.test"],
      ["Mail.ACME.test", "mail.acme.test"],
      ["acme.test.", "acme.test"],
      ["bücher.example", "xn--bcher-kva.example"],
      ["BÜCHER.example", "xn--bcher-kva.example"],
      // NFC: a decomposed ü is the same name.
      ["bu\u0308cher.example", "xn--bcher-kva.example"],
      ["xn--bcher-kva.example", "xn--bcher-kva.example"],
      ["faß.de", "xn--fa-hia.de"],
      ["my-shop.co.uk", "my-shop.co.uk"],
    ]);
    expect(displayDomain("xn--bcher-kva.example")).toBe("bücher.example");
  });

  it("keeps a look-alike apart from the name it looks like", () => {
    // A Cyrillic а (U+0430) in place of the Latin a.
    expect(canonical("аcme.test")).toBe("xn--cme-5cd.test");
    expect(canonical("аcme.test")).not.toBe("acme.test");
    expect(canonical("acme.tеst")).not.toBe("acme.test");
  });

  it("refuses a name that IDNA would read as another one, rather than take it for that one", () => {
    expectEach(canonical, [
      ["ａｃｍｅ.test", "mapped → acme.test"],
      ["acme。test", "mapped → acme.test"],
      ["ac\u00adme.test", "mapped → acme.test"],
      ["ac\u200bme.test", "mapped → acme.test"],
      ["0x7f.1", "ip"],
    ]);
  });

  it("refuses what is not a domain name", () => {
    for (const input of [
      "",
      "acme",
      "acme..test",
      "acme.test..",
      ".acme.test",
      "-acme.test",
      "acme-.test",
      "acme_mail.test",
      "acme test",
      "acme.test/x",
      "x@acme.test",
      "acme.test:25",
      "acme%2etest",
      "[192.0.2.1]",
      "xn--zz.test",
      `${"a".repeat(64)}.test`,
      `${"a.".repeat(127)}test`,
      "acme.test\n",
      "acme.*.test",
      "acme.123",
    ]) {
      expect(canonical(input), JSON.stringify(input)).toBe("invalid");
    }
    expect(canonical("192.0.2.1")).toBe("ip");
    expect(canonical("*.acme.test")).toBe("wildcard → acme.test");
  });
});

describe("domainAllowed", () => {
  const allowed = ["acme.test", "xn--bcher-kva.example"];

  it("allows a listed domain and its subdomains, and refuses a name that merely ends or starts with one", () => {
    const allows = (sender: string) => domainAllowed(allowed, sender);
    const senders = ["acme.test", "mail.acme.test", "a.b.acme.test", "news.xn--bcher-kva.example"];
    expect(senders.filter(allows)).toEqual(senders);
    const others = ["evilacme.test", "acme.test.evil.test", "acme.testing", "cme.test", "xn--cme-5cd.test", "test"];
    expect(others.filter(allows)).toEqual([]);
    expect(domainAllowed([], "acme.test")).toBe(false);
  });
});

describe("Punycode", () => {
  it("decodes RFC 3492's examples and refuses what is not Punycode", () => {
    expect(["bcher-kva", "ihqwcrb4cv8a8dqg056pqjye", "abc-", "zz", "a-!"].map(decodePunycode)).toEqual([
      "bücher",
      "他们为什么不说中文",
      "abc",
      null,
      null,
    ]);
  });
});

const letter = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789-");
const label = fc
  .string({ unit: letter, minLength: 1, maxLength: 8 })
  .filter((l) => !l.startsWith("-") && !l.endsWith("-"));
const name = fc.array(label, { minLength: 2, maxLength: 4 }).map((labels) => `${labels.join(".")}x`);
/** Letters of several scripts, look-alikes among them, and the characters UTS-46 maps away. */
const unicodeUnit = fc.constantFrom(..."aаеeоoсcрpüßçéΣσς中文ｃ\u00ad\u200b.-Kk");

describe("properties", () => {
  it("allows a sender exactly when one listed name is its whole name or a whole-label suffix of it", () => {
    fc.assert(
      fc.property(fc.array(name, { minLength: 1, maxLength: 4 }), name, (list, sender) => {
        const model = list.some((entry) => {
          const a = sender.split(".");
          const b = entry.split(".");
          return a.length >= b.length && a.slice(a.length - b.length).join(".") === entry;
        });
        expect(domainAllowed(list, sender)).toBe(model);
      }),
      { numRuns: 1_000 },
    );
  });

  it("gives one canonical form: canonical names are canonical, and decode back to what was written", () => {
    fc.assert(
      fc.property(fc.string({ unit: unicodeUnit, minLength: 1, maxLength: 12 }), (text) => {
        const input = `${text}.test`;
        const result = normalizeDomain(input);
        if (!("domain" in result)) return;
        expect(canonical(result.domain)).toBe(result.domain);
        expect(result.domain).toMatch(/^[a-z0-9.-]+$/);
        // What was accepted reads back, decoded, as what was written (lowercase, NFC).
        expect(displayDomain(result.domain)).toBe(input.normalize("NFC").toLowerCase());
      }),
      { numRuns: 1_000 },
    );
  });
});
