/**
 * A key's allowed IP addresses (src/restrictions/ip.ts), in Node: what is an
 * address or a range, the one canonical form each is stored in, and which
 * client addresses a list lets through, with the forms an attacker or a
 * careless admin would try; then properties against independent models (the
 * URL parser's IPv6 serializer, BigInt arithmetic on ranges).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatRange, ipAllowed, parseIp, parseIpRange } from "../../src/restrictions/ip";

/** The canonical form of an entry, or its problem. */
function canonical(text: string): string {
  const result = parseIpRange(text);
  if ("range" in result) return formatRange(result.range);
  return result.problem === "host-bits" ? `host-bits → ${result.network}` : "invalid";
}

describe("an allowedIps entry", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7"],
    ["203.0.113.7/32", "203.0.113.7"],
    ["10.0.0.0/8", "10.0.0.0/8"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8:0000:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:db8::/32", "2001:db8::/32"],
    ["::1/128", "::1"],
    ["::/0", "::/0"],
    // An IPv4-mapped IPv6 address is the IPv4 address it carries; its prefix counts the 96 bits before.
    ["::ffff:192.0.2.1", "192.0.2.1"],
    ["::FFFF:c000:201", "192.0.2.1"],
    ["::ffff:192.0.2.0/120", "192.0.2.0/24"],
  ])("is an IPv4 or IPv6 address or range, in one canonical form: %s is stored as %s", (entry, stored) => {
    expect(canonical(entry)).toBe(stored);
  });

  it.each([
    "10.0.0.300",
    "010.0.0.1", // octal to some parsers, decimal to others
    "10.0.0",
    "10.0.0.1.",
    "0x0a.0.0.1",
    "167772161",
    " 10.0.0.1",
    "10.0.0.1/33",
    "10.0.0.1/08",
    "10.0.0.1/",
    "10.0.0.1/-1",
    "fe80::1%eth0",
    "2001:db8:::1",
    "2001:db8::1::2",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "12345::1",
    "::ffff:10.0.0.1/95",
    "2001:db8::/129",
    "example.com",
    "",
    "/24",
  ])("refuses %j: what parsers read differently, or no address at all", (entry) => {
    expect(canonical(entry)).toBe("invalid");
  });

  it("refuses a range with host bits set, naming the range meant", () => {
    expect(canonical("10.0.0.5/24")).toBe("host-bits → 10.0.0.0/24");
    expect(canonical("2001:db8::1/64")).toBe("host-bits → 2001:db8::/64");
  });
});

describe("ipAllowed", () => {
  const list = ["203.0.113.7", "10.0.0.0/8", "2001:db8::/32"];

  it("lets through a client in one of the ranges", () => {
    // The last: an IPv4 client written as an IPv4-mapped IPv6 address.
    const clients = ["203.0.113.7", "10.255.1.2", "2001:db8:ffff::9", "2001:DB8::1", "::ffff:10.1.2.3"];
    expect(clients.filter((client) => !ipAllowed(list, client))).toEqual([]);
  });

  it("refuses every other client, an unknown one, and anything that is not one address", () => {
    const others = ["203.0.113.8", "11.0.0.1", "2001:db9::1", null, undefined, "", "10.0.0.1, 203.0.113.7"];
    expect([...others, "10.0.0.0/8", "010.0.0.1"].filter((client) => ipAllowed(list, client))).toEqual([]);
  });

  it("keeps the families apart: ::/0 holds no IPv4 client, 0.0.0.0/0 no IPv6 one", () => {
    expect(ipAllowed(["::/0"], "192.0.2.1")).toBe(false);
    expect(ipAllowed(["::/0"], "2001:db8::1")).toBe(true);
    expect(ipAllowed(["0.0.0.0/0"], "2001:db8::1")).toBe(false);
    expect(ipAllowed(["0.0.0.0/0"], "192.0.2.1")).toBe(true);
  });
});

const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((parts) => parts.join("."));
const groups = fc.array(fc.nat(0xffff), { minLength: 8, maxLength: 8 });
/** Any IPv6 address written out in full, some groups zero (so there is something to compress). */
const ipv6 = fc
  .tuple(groups, fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }))
  .map(([values, zero]) => values.map((v, i) => (zero[i] ? 0 : v).toString(16)).join(":"));

const toBigInt = (text: string) => {
  const range = parseIp(text);
  if (!range) throw new Error(`not an address: ${text}`);
  return range.bytes.reduce((n, byte) => (n << 8n) | BigInt(byte), 0n);
};

describe("properties", () => {
  it("writes an IPv6 address as the URL parser does (RFC 5952 compression), and reads it back the same", () => {
    fc.assert(
      fc.property(ipv6, (address) => {
        const ours = canonical(address);
        // The WHATWG serializer writes an IPv4-mapped address in hex; ours, as the IPv4 address it is.
        if (address.startsWith("0:0:0:0:0:ffff:")) return;
        expect(ours).toBe(new URL(`http://[${address}]/`).hostname.slice(1, -1));
        expect(canonical(ours)).toBe(ours);
      }),
      { numRuns: 500 },
    );
  });

  it("puts a client in a range exactly when their first prefix bits agree (BigInt model)", () => {
    fc.assert(
      fc.property(ipv4, ipv4, fc.nat(32), (base, client, prefix) => {
        const shift = BigInt(32 - prefix);
        const network = (toBigInt(base) >> shift) << shift;
        const parts = [24n, 16n, 8n, 0n].map((s) => String((network >> s) & 255n)).join(".");
        const entry = prefix === 32 ? parts : `${parts}/${prefix}`;
        expect(canonical(entry)).toBe(entry);
        const model = toBigInt(client) >> shift === network >> shift;
        expect(ipAllowed([entry], client)).toBe(model);
      }),
      { numRuns: 1_000 },
    );
  });

  it("never throws, whatever the text, and accepts only what reads back as itself", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 50, unit: fc.constantFrom(..."0123456789abcdefABCDEF:./x% ") }), (text) => {
        const result = canonical(text);
        if (result !== "invalid" && !result.startsWith("host-bits")) expect(canonical(result)).toBe(result);
        expect(typeof ipAllowed(["10.0.0.0/8", "::/0"], text)).toBe("boolean");
      }),
      { numRuns: 1_000 },
    );
  });
});
