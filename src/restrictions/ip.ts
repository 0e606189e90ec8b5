/**
 * IP addresses and CIDR ranges of a key's `allowedIps` (CONTRACT §8), read
 * strictly and written in one canonical form, and the client address
 * (`CF-Connecting-IP`) matched against them.
 *
 * Accepted: IPv4 in dotted decimal (four parts, no leading zeros: `010.0.0.1`
 * is octal to some parsers and decimal to others, so it is refused), IPv6 in
 * any RFC 4291 text form (`::`, an embedded IPv4 tail, any case; no zone
 * `%eth0`), either with a `/prefix`. A range must name its network: host bits
 * set (`10.0.0.5/24`) are refused with the range meant, since the writer may
 * have meant `/32`. The canonical form is what is stored and returned:
 * IPv6 as RFC 5952 writes it (lowercase, zeros compressed), a range with its
 * prefix, a single address (`/32`, `/128`) without one, and an IPv4-mapped
 * IPv6 address (`::ffff:192.0.2.1`) as the IPv4 address it is. So the
 * families stay apart: an IPv4 range never matches an IPv6 client, `::/0`
 * matches every IPv6 client and no IPv4 one.
 */

/** An address or range: its family, its bytes (4 or 16) and how many leading bits count. */
export interface IpRange {
  v6: boolean;
  bytes: Uint8Array;
  prefix: number;
}

const IPV4 =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const PREFIX = /^(0|[1-9]\d{0,2})$/;
/** The first 12 bytes of an IPv4-mapped IPv6 address (::ffff:0:0/96). */
const MAPPED = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseIpv4(text: string): Uint8Array | null {
  const match = IPV4.exec(text);
  return match ? Uint8Array.from(match.slice(1), Number) : null;
}

function parseIpv6(text: string): Uint8Array | null {
  if (text.length > 45 || !/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  const last = halves.length === 2 ? tail : head;
  let v4: Uint8Array | null = null;
  if (last[last.length - 1]?.includes(".")) {
    v4 = parseIpv4(last.pop() as string);
    if (!v4) return null;
  }
  if (![...head, ...tail].every((group) => HEX_GROUP.test(group))) return null;
  const words = head.length + tail.length + (v4 ? 2 : 0);
  if (halves.length === 2 ? words > 7 : words !== 8) return null;
  const bytes = new Uint8Array(16);
  const put = (list: string[], at: number) =>
    list.forEach((group, i) => {
      const value = Number.parseInt(group, 16);
      bytes[at + i * 2] = value >> 8;
      bytes[at + i * 2 + 1] = value & 0xff;
    });
  put(head, 0);
  const tailBytes = tail.length * 2 + (v4 ? 4 : 0);
  put(tail, 16 - tailBytes);
  if (v4) bytes.set(v4, 12);
  return bytes;
}

const isMapped = (bytes: Uint8Array) => bytes.length === 16 && MAPPED.every((byte, i) => bytes[i] === byte);

/** An address as an IpRange of one address; an IPv4-mapped IPv6 address is the IPv4 one. Null if it is not one. */
export function parseIp(text: string): IpRange | null {
  const v4 = parseIpv4(text);
  if (v4) return { v6: false, bytes: v4, prefix: 32 };
  const v6 = parseIpv6(text);
  if (!v6) return null;
  if (isMapped(v6)) return { v6: false, bytes: v6.slice(12), prefix: 32 };
  return { v6: true, bytes: v6, prefix: 128 };
}

/** Whether the first `prefix` bits of `a` and `b` are the same. */
function samePrefix(a: Uint8Array, b: Uint8Array, prefix: number): boolean {
  const whole = prefix >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const bits = prefix & 7;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return ((a[whole] as number) & mask) === ((b[whole] as number) & mask);
}

/** `bytes` with every bit after `prefix` cleared. */
function network(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.min(8, Math.max(0, prefix - i * 8));
    out[i] = (bytes[i] as number) & ((0xff << (8 - bits)) & 0xff);
  }
  return out;
}

/** Why an entry is not an address or range. */
export type IpProblem = "invalid" | "host-bits";

/**
 * An `allowedIps` entry as a range, or why it is not one (`host-bits`: it
 * names an address inside a range, and `network` is the range meant).
 */
export function parseIpRange(
  text: string,
): { range: IpRange } | { problem: "invalid" } | { problem: "host-bits"; network: string } {
  const slash = text.indexOf("/");
  const address = parseIp(slash === -1 ? text : text.slice(0, slash));
  if (!address) return { problem: "invalid" };
  if (slash === -1) return { range: address };
  const prefixText = text.slice(slash + 1);
  if (!PREFIX.test(prefixText)) return { problem: "invalid" };
  // Written as IPv6, a mapped address's prefix counts the 96 bits before the IPv4 part.
  const written = text.slice(0, slash).includes(":");
  const prefix = Number(prefixText) - (written && !address.v6 ? 96 : 0);
  const max = address.v6 ? 128 : 32;
  if (prefix < 0 || prefix > max) return { problem: "invalid" };
  const range: IpRange = { ...address, prefix };
  const masked = network(address.bytes, prefix);
  if (!samePrefix(masked, address.bytes, max)) {
    return { problem: "host-bits", network: formatRange({ ...range, bytes: masked }) };
  }
  return { range };
}

/** IPv6 bytes as RFC 5952 writes them: lowercase, no leading zeros, the longest run of 2+ zero groups as `::`. */
function formatIpv6(bytes: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => ((bytes[i * 2] as number) << 8) | (bytes[i * 2 + 1] as number));
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let end = i;
    while (end < 8 && groups[end] === 0) end++;
    if (end - i > bestLength) [best, bestLength] = [i, end - i];
    i = end;
  }
  const hex = (list: number[]) => list.map((group) => group.toString(16)).join(":");
  if (best === -1) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLength))}`;
}

/** A range in its canonical form (see the module comment). */
export function formatRange(range: IpRange): string {
  const address = range.v6 ? formatIpv6(range.bytes) : range.bytes.join(".");
  return range.prefix === (range.v6 ? 128 : 32) ? address : `${address}/${range.prefix}`;
}

/** Whether `client` is in `range` (the same family, the same first `prefix` bits). */
export function inRange(range: IpRange, client: IpRange): boolean {
  return range.v6 === client.v6 && samePrefix(range.bytes, client.bytes, range.prefix);
}

/** Parsed entries by their stored (canonical) text: every check of a key parses its list once per isolate. */
const parsed = new Map<string, IpRange | null>();
const MAX_PARSED = 4_096;

function rangeOf(entry: string): IpRange | null {
  let range = parsed.get(entry);
  if (range === undefined) {
    const result = parseIpRange(entry);
    range = "range" in result ? result.range : null;
    if (parsed.size >= MAX_PARSED) parsed.clear();
    parsed.set(entry, range);
  }
  return range;
}

/**
 * Whether a client at `clientIp` (CF-Connecting-IP; null when the edge did
 * not say) may use a key allowed `allowed`: its address is in one of them.
 * An unknown or unreadable client address is in none.
 */
export function ipAllowed(allowed: readonly string[], clientIp: string | null | undefined): boolean {
  const client = clientIp ? parseIp(clientIp) : null;
  if (!client) return false;
  for (const entry of allowed) {
    const range = rangeOf(entry);
    if (range && inRange(range, client)) return true;
  }
  return false;
}
