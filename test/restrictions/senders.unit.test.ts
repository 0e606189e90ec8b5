/**
 * Reading who a sending request sends from (src/restrictions/address.ts,
 * json.ts, senders.ts), in Node, with what an attacker would send: a quoted
 * local part holding an `@`, a display name holding another address,
 * comments, several addresses, header injection, look-alike domains, `from`
 * as an array or an object, the same name twice in a JSON object (escaped or
 * not), a `From` under another case or in the message's headers, an empty or
 * huge batch. Then properties: an accepted `from` has one `@` outside its
 * quoted display name and is at the domain after it, however the pieces are
 * mixed; repeated JSON names are found wherever they are, and only then.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { senderDomain } from "../../src/restrictions/address";
import { normalizeDomain } from "../../src/restrictions/domains";
import { repeatedName } from "../../src/restrictions/json";
import { MAX_BATCH, sendersOf } from "../../src/restrictions/senders";
import { expectEach } from "./expect-each";

/** `from` values some parser reads as another address than the gateway would: all refused. */
const AMBIGUOUS = [
  '"x@acme.test"@evil.test', // a quoted local part: split at its first @, it would be acme.test
  "ceo@acme.test <x@evil.test>", // an unquoted display name holding an address
  "x@acme.test <y@evil.test>",
  "<x@acme.test> <y@evil.test>",
  "x@acme.test, y@evil.test",
  "x@acme.test;y@evil.test",
  "x@evil.test (x@acme.test)", // a comment
  "x(comment)@acme.test",
  "Acme (x@acme.test) <y@evil.test>",
  "Group: x@acme.test;",
  "<@evil.test:x@acme.test>", // a source route
  "x@[192.0.2.1]",
  "x@192.0.2.1",
  "x@acme.test\r\nBcc: victim@elsewhere.test",
  "x@acme.test\n",
  "x@acme.test\u2028",
  "x@acme%2etest",
  "x@ａｃｍｅ.test",
  "x@ac\u00adme.test",
  "x@acme..test",
  "x@.acme.test",
  "x@acme.test..",
  "x@acme",
  "@acme.test",
  "x.@acme.test",
  ".x@acme.test",
  "x..y@acme.test",
  "x@",
  "acme.test",
  "Acme <x@acme.test",
  "Acme x@acme.test>",
  "< x@acme.test >",
  `${"x".repeat(990)}@acme.test`,
  "",
];

describe("the domain of a from", () => {
  it("reads addr@domain and Name <addr@domain>, in canonical form", () => {
    const froms: Array<[from: string, domain: string]> = [
      ["hello@acme.test", "acme.test"],
      ["Acme <hello@Mail.Acme.test>", "mail.acme.test"],
      ['"Acme, Inc." <hello@acme.test>', "acme.test"],
      ['"Say \\"hi\\"" <hello@acme.test>', "acme.test"],
      ["John Q. Public <john.q.public@acme.test>", "acme.test"],
      ["<hello@acme.test>", "acme.test"],
      ["  hello+tag@acme.test  ", "acme.test"],
      ["José <josé@bücher.example>", "xn--bcher-kva.example"],
      ["hello@acme.test.", "acme.test"],
    ];
    expect(froms.map(([from]) => senderDomain(from))).toEqual(froms.map(([, domain]) => domain));
  });

  it("is the address's own domain, never one a display name or a quoted local part shows", () => {
    expectEach(senderDomain, [
      ['"ceo@acme.test" <x@evil.test>', "evil.test"],
      ['"acme.test" <x@evil.test>', "evil.test"],
      ["hello@acme.test.evil.test", "acme.test.evil.test"],
      ["hello@аcme.test", "xn--cme-5cd.test"],
    ]);
  });

  it("refuses every form some parser reads as another address", () => {
    expect(AMBIGUOUS.filter((from) => senderDomain(from) !== null)).toEqual([]);
  });
});

describe("repeatedName", () => {
  it("finds a name twice in any object, escaped or not, and nothing in a body without", () => {
    const bodies = {
      '{"from":"a@acme.test","from":"x@evil.test"}': "from",
      '{"from":"a@acme.test","fr\\u006fm":"x@evil.test"}': "from",
      '[{"from":"a"},{"to":"b","headers":{"From":"x","From":"y"}}]': "From",
      '{"a":{"b":1},"c":{"b":2},"s":"\\"from\\":1,\\"from\\":2"}': undefined,
      '[{"from":"a"},{"from":"b"}]': undefined,
      '{"from":"a","From":"b"}': undefined,
    };
    for (const [body, name] of Object.entries(bodies)) expect(repeatedName(body), body).toBe(name);
  });
});

/** The senders of a body, or its 400's message. */
function senders(body: unknown): string[] | string {
  const result = sendersOf(typeof body === "string" ? body : JSON.stringify(body));
  return "senders" in result ? result.senders : result.message;
}

describe("the senders of a body", () => {
  it("are the distinct domains of one message or of each message of a batch", () => {
    expect(senders({ from: "a@acme.test", to: "b@elsewhere.test" })).toEqual(["acme.test"]);
    expect(senders([{ from: "a@acme.test" }, { from: "A <b@mail.acme.test>" }, { from: "c@acme.test" }])).toEqual([
      "acme.test",
      "mail.acme.test",
    ]);
  });

  it("include a from under another case and a From or Sender header of the message", () => {
    expect(senders({ from: "a@acme.test", From: "x@evil.test" })).toEqual(["acme.test", "evil.test"]);
    expect(senders({ from: "a@acme.test", headers: { " from ": "x@evil.test", "X-Tag": "1" } })).toEqual([
      "acme.test",
      "evil.test",
    ]);
    expect(senders({ from: "a@acme.test", headers: { SENDER: "x@evil.test" } })).toEqual(["acme.test", "evil.test"]);
    expect(senders({ from: "a@acme.test", headers: { "Reply-To": "x@evil.test" } })).toEqual(["acme.test"]);
  });

  it("cannot be read from a body that is not messages with one from each: the 400 names the place", () => {
    expect(senders("from=a@acme.test")).toBe("body: must be JSON for a key restricted to sender domains");
    expect(senders('{"from":"a@acme.test","from":"x@evil.test"}')).toBe(
      'body: names "from" twice in one object: each name may appear once',
    );
    expect(senders({ to: "b@elsewhere.test" })).toBe("from: is required for a key restricted to sender domains");
    expect(senders({ From: "a@acme.test" })).toBe("from: is required for a key restricted to sender domains");
    expect(senders({ from: ["a@acme.test"] })).toBe('from: must be a string, "addr@domain" or "Name <addr@domain>"');
    expect(senders({ from: { email: "a@acme.test" } })).toBe(
      'from: must be a string, "addr@domain" or "Name <addr@domain>"',
    );
    expect(senders({ from: "ceo@acme.test <x@evil.test>" })).toBe(
      'from: must be one address, "addr@domain" or "Name <addr@domain>"',
    );
    expect(senders([{ from: "a@acme.test" }, { from: "a@acme.test", headers: { From: 7 } }])).toBe(
      '[1].headers.From: must be a string, "addr@domain" or "Name <addr@domain>"',
    );
    expect(senders([{ from: "a@acme.test" }, "b@acme.test"])).toBe("[1]: must be a message object");
    expect(senders("null")).toBe("body: must be a message object");
    expect(senders('"a@acme.test"')).toBe("body: must be a message object");
    expect(senders([])).toBe("body: a batch must hold at least one message");
  });

  it(`refuse a batch of more than ${MAX_BATCH} messages, read no further`, () => {
    const message = { from: "a@acme.test" };
    expect(senders(Array(MAX_BATCH).fill(message))).toEqual(["acme.test"]);
    expect(senders(Array(MAX_BATCH + 1).fill(message))).toBe(
      `body: a batch holds at most ${MAX_BATCH} messages, this one ${MAX_BATCH + 1}`,
    );
  });
});

/** Strips a leading quoted display name (the only place an accepted from may hold a free `@`). */
function outsideQuotedName(from: string): string {
  const match = /^\s*"(?:[^"\\]|\\.)*"/s.exec(from);
  return match ? from.slice(match[0].length) : from;
}

const piece = fc.constantFrom(
  "x",
  "ceo",
  "acme.test",
  "evil.test",
  "аcme.test",
  "@",
  "@",
  '"',
  "<",
  ">",
  "(",
  ")",
  ",",
  ";",
  ":",
  " ",
  ".",
  "\\",
  "[",
  "]",
  "\r\n",
  "ａ",
  "Acme Inc",
);

describe("properties", () => {
  it("an accepted from has exactly one @ outside its quoted display name, and is at the domain after it", () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const from = pieces.join("");
        const domain = senderDomain(from);
        if (domain === null) return;
        const rest = outsideQuotedName(from).trim();
        const ats = [...rest].filter((c) => c === "@").length;
        expect(ats, from).toBe(1);
        const after = rest.slice(rest.indexOf("@") + 1).replace(/>$/, "");
        const expected = normalizeDomain(after);
        expect("domain" in expected && expected.domain, from).toBe(domain);
      }),
      { numRuns: 2_000, examples: [[['"', "ceo", "@", "acme.test", '"', " ", "<", "x", "@", "evil.test", ">"]]] },
    );
  });

  it("a JSON text has a repeated name exactly when one of its objects was built with one", () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { maxDepth: 3 },
        fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
        fc.array(tie("node"), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 4 }), tie("node"), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, fc.string({ maxLength: 4 }), fc.boolean(), (tree, name, repeat) => {
        const text = JSON.stringify(tree);
        expect(repeatedName(text)).toBeUndefined();
        if (!repeat) return;
        // The same name twice, escaped the second time, in an object wrapped around the tree.
        const escaped = `"${[...name].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")}"`;
        const twice = `{${JSON.stringify(name)}:${text},${escaped}:1}`;
        expect(repeatedName(twice)).toBe(name);
      }),
      { numRuns: 500 },
    );
  });
});
