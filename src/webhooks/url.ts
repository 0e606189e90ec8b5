/**
 * Which webhook URLs an account may set: `https://` to a public host, never
 * an address in a private, loopback, link-local or otherwise reserved range
 * (written as an IP literal, in any of the forms the URL parser normalizes),
 * nor a name that only resolves inside a network (`localhost`, `*.local`,
 * `*.internal`, a name without a dot). In development `http://localhost`,
 * `http://127.0.0.1` and `http://[::1]` are allowed too, for a receiver on
 * the developer's machine. A public name that resolves to a private address
 * is not caught here; Workers' fetch reaches only the public internet.
 */

const MAX_URL_LENGTH = 2048;
const LOOPBACK_NAMES = new Set(["localhost", "127.0.0.1", "[::1]"]);
const INTERNAL_SUFFIXES = [".localhost", ".local", ".internal", ".intranet", ".lan", ".home.arpa", ".corp"];

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

function isReservedV6(ip: string): boolean {
  const g = v6Groups(ip);
  const [a = 0, b = 0] = g;
  const embeddedV4 = `${(g[6] ?? 0) >> 8}.${(g[6] ?? 0) & 255}.${(g[7] ?? 0) >> 8}.${(g[7] ?? 0) & 255}`;
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) {
    // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible), ::1 and :: themselves.
    return g[5] === 0 && g[6] === 0 ? true : isReservedV4(embeddedV4);
  }
  if (a === 0x64 && b === 0xff9b) return isReservedV4(embeddedV4); // NAT64
  return (
    (a & 0xfe00) === 0xfc00 || // unique local
    (a & 0xffc0) === 0xfe80 || // link-local
    (a & 0xff00) === 0xff00 || // multicast
    (a === 0x2001 && b === 0x0db8) || // documentation
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
  const host = url.hostname.toLowerCase();
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
