/**
 * Which webhook URLs an account may set: `https://` to a public host, never
 * an address in a private, loopback, link-local or otherwise reserved range
 * (written as an IP literal, in any of the forms the URL parser normalizes,
 * or as an IPv6 address that embeds an IPv4 one: mapped, compatible, NAT64,
 * 6to4, Teredo, each judged by the IPv4 it reaches), nor a name that only
 * resolves inside a network (`localhost`, `*.local`, `*.internal`, a name
 * without a dot), with or without the trailing dot of a fully qualified name
 * (`metadata.google.internal.` is `metadata.google.internal`). In
 * development `http://localhost`, `http://127.0.0.1` and `http://[::1]` are
 * allowed too, for a receiver on the developer's machine. A public name that
 * resolves to a private address is not caught here; Workers' fetch reaches
 * only the public internet.
 */

const MAX_URL_LENGTH = 2048;
const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);
const INTERNAL_SUFFIXES = [
  ".localhost",
  ".local",
  ".localdomain",
  ".internal",
  ".intranet",
  ".lan",
  ".home.arpa",
  ".corp",
];

/** IPv4 ranges that are not public unicast: [first octets as a number, prefix length]. */
const RESERVED_V4: Array<[string, number]> = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
];

const v4Number = (ip: string) => ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);

function isReservedV4(ip: string): boolean {
  const n = v4Number(ip);
  return RESERVED_V4.some(
    ([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(v4Number(base) / 2 ** (32 - bits)),
  );
}

/** The 8 groups of a (URL-normalized) IPv6 address. */
function v6Groups(ip: string): number[] {
  const [head = "", tail] = ip.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill("0");
  return [...left, ...zeros, ...right].map((group) => Number.parseInt(group, 16));
}

/** The dotted IPv4 address of two 16-bit groups. */
const v4Of = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;

/**
 * The IPv4 addresses an IPv6 address embeds and reaches (null: none): mapped
 * `::ffff:0:0/96` and compatible `::/96` (the last 32 bits), NAT64
 * `64:ff9b::/96` (the last 32 bits), 6to4 `2002::/16` (bits 16-47), Teredo
 * `2001::/32` (the server, bits 32-63, and the client, the last 32 bits
 * inverted).
 */
function embeddedV4(g: number[]): string[] | null {
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, h = 0, i = 0] = g;
  const zeroTo4 = a === 0 && b === 0 && c === 0 && d === 0 && e === 0;
  if (zeroTo4 && (f === 0xffff || f === 0)) return [v4Of(h, i)];
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return [v4Of(h, i)];
  if (a === 0x2002) return [v4Of(b, c)];
  if (a === 0x2001 && b === 0) return [v4Of(c, d), v4Of(h ^ 0xffff, i ^ 0xffff)];
  return null;
}

function isReservedV6(ip: string): boolean {
  const g = v6Groups(ip);
  const [a = 0, b = 0] = g;
  // `::` and `::1` are not IPv4 addresses in disguise, whatever their last 32 bits read as.
  if (g.slice(0, 7).every((x) => x === 0)) return true;
  const embedded = embeddedV4(g);
  if (embedded) return embedded.some(isReservedV4);
  return (
    (a & 0xfe00) === 0xfc00 || // unique local
    (a & 0xffc0) === 0xfe80 || // link-local
    (a & 0xff00) === 0xff00 || // multicast
    (a === 0x2001 && b === 0x0db8) || // documentation
    (a === 0x64 && b === 0xff9b) || // NAT64 outside the well-known /96, the local-use 64:ff9b:1::/48 included
    (a === 0x2001 && b < 0x200) || // IETF protocol assignments (2001::/23) other than Teredo
    a === 0 // other reserved
  );
}

/** Why `raw` cannot be a webhook URL (a phrase for "webhookUrl: …"), or null if it can. */
export function webhookUrlProblem(raw: string, isDevelopment: boolean): string | null {
  if (raw.length > MAX_URL_LENGTH) return `must be at most ${MAX_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "must be an absolute https:// URL";
  }
  if (url.username || url.password) return "must not contain credentials";
  // A fully qualified name's trailing dot names the same host: `localhost.` is `localhost`.
  const host = url.hostname.toLowerCase().replace(/\.+$/, "");
  const local = isDevelopment && LOOPBACK_NAMES.has(host);
  if (url.protocol !== "https:" && !(local && url.protocol === "http:")) {
    return isDevelopment
      ? "must be an https:// URL (or http://localhost, http://127.0.0.1 in development)"
      : "must be an https:// URL";
  }
  if (local) return null;
  const privateAddress = "must not point to a private, loopback or reserved address";
  if (/^\d+\.\d+\.\d+\.\d+$/.test(host)) return isReservedV4(host) ? privateAddress : null;
  if (host.startsWith("[")) return isReservedV6(host.slice(1, -1)) ? privateAddress : null;
  if (host === "localhost" || !host.includes(".") || INTERNAL_SUFFIXES.some((suffix) => host.endsWith(suffix))) {
    return "must name a public host";
  }
  return null;
}
