/**
 * The one set of rules for a key's restrictions, used by the admin API's
 * schemas (src/admin/schemas.ts) and the dashboard's forms
 * (src/dashboard/api-keys/forms.ts), each in its own words, as keys/rules.ts
 * does for names and expiries: the API answers
 * `allowedIps[2]: "10.0.0.300" is not an IPv4 or IPv6 address or CIDR range`,
 * the dashboard `Line 3: "10.0.0.300" is not an IP address or a range, such as…`.
 *
 * Each list holds at most 20 entries; each entry is checked and stored in its
 * canonical form (ip.ts, domains.ts): an address or range as RFC 5952 and
 * CIDR write it, a domain in lowercase Punycode. An entry repeated (in any
 * spelling) is stored once. The API takes `null` for "any" and refuses an
 * empty list, which would allow nothing; the dashboard's empty field is "any".
 */
import { z } from "zod";
import type { Surface } from "../keys/rules";
import { normalizeDomain } from "./domains";
import { formatRange, parseIpRange } from "./ip";

export const MAX_ALLOWED_IPS = 20;
export const MAX_SENDER_DOMAINS = 20;

const quote = (entry: string) => JSON.stringify(entry);

/** What each surface says when a restriction rule refuses a value (`entry` as given). */
export interface RestrictionMessages {
  notText: string;
  ipInvalid: (entry: string) => string;
  ipHostBits: (entry: string, network: string) => string;
  ipsTooMany: string;
  ipsEmpty: string;
  domainInvalid: (entry: string) => string;
  domainIsIp: (entry: string) => string;
  domainWildcard: (entry: string, meant: string) => string;
  domainMapped: (entry: string, reads: string) => string;
  domainsTooMany: string;
  domainsEmpty: string;
}

export const RESTRICTION_MESSAGES: Record<Surface, RestrictionMessages> = {
  api: {
    notText: "must be a string",
    ipInvalid: (entry) => `${quote(entry)} is not an IPv4 or IPv6 address or CIDR range`,
    ipHostBits: (entry, network) =>
      `${quote(entry)} has bits set after its prefix length: the range is ${quote(network)}`,
    ipsTooMany: `must list at most ${MAX_ALLOWED_IPS} addresses or ranges`,
    ipsEmpty: "must list at least one address or range, or be null to allow any",
    domainInvalid: (entry) => `${quote(entry)} is not a domain name`,
    domainIsIp: (entry) => `${quote(entry)} is an IP address, not a domain name`,
    domainWildcard: (entry, meant) => `${quote(entry)}: write ${quote(meant)}, which allows its subdomains too`,
    domainMapped: (entry, reads) => `${quote(entry)} is not a domain name as written: it reads as ${quote(reads)}`,
    domainsTooMany: `must list at most ${MAX_SENDER_DOMAINS} domains`,
    domainsEmpty: "must list at least one domain, or be null to allow any",
  },
  dashboard: {
    notText: "Enter text.",
    ipInvalid: (entry) => `${quote(entry)} is not an IP address or a range, such as 203.0.113.7 or 203.0.113.0/24.`,
    ipHostBits: (entry, network) => `${quote(entry)} is inside a range: enter the range as ${network}.`,
    ipsTooMany: `Enter at most ${MAX_ALLOWED_IPS} addresses or ranges.`,
    ipsEmpty: "Enter at least one address or range, or leave the field empty to allow any.",
    domainInvalid: (entry) => `${quote(entry)} is not a domain name, such as example.com.`,
    domainIsIp: (entry) => `${quote(entry)} is an IP address: enter a domain name, such as example.com.`,
    domainWildcard: (entry, meant) => `Enter ${meant} rather than ${entry}: a domain allows its subdomains too.`,
    domainMapped: (entry, reads) => `${quote(entry)} is written with look-alike characters: enter it as ${reads}.`,
    domainsTooMany: `Enter at most ${MAX_SENDER_DOMAINS} domains.`,
    domainsEmpty: "Enter at least one domain, or leave the field empty to allow any.",
  },
};

/** One entry as a zod string: its canonical form, or the surface's message for it. */
function entryRule(
  surface: Surface,
  canonical: (entry: string, say: RestrictionMessages) => string | { message: string },
) {
  const say = RESTRICTION_MESSAGES[surface];
  return z.string({ error: say.notText }).transform((entry, ctx) => {
    const result = canonical(entry, say);
    if (typeof result === "string") return result;
    ctx.addIssue({ code: "custom", message: result.message });
    return z.NEVER;
  });
}

function canonicalIp(entry: string, say: RestrictionMessages): string | { message: string } {
  const result = parseIpRange(entry);
  if ("range" in result) return formatRange(result.range);
  return { message: result.problem === "host-bits" ? say.ipHostBits(entry, result.network) : say.ipInvalid(entry) };
}

function canonicalDomain(entry: string, say: RestrictionMessages): string | { message: string } {
  const result = normalizeDomain(entry);
  if ("domain" in result) return result.domain;
  if (result.problem === "ip") return { message: say.domainIsIp(entry) };
  if (result.problem === "wildcard") return { message: say.domainWildcard(entry, result.meant) };
  if (result.problem === "mapped") return { message: say.domainMapped(entry, result.reads) };
  return { message: say.domainInvalid(entry) };
}

/** A list of `entry`, 1 to `max` long, canonical, each once. */
function listRule(entry: z.ZodType<string, string>, max: number, tooMany: string, empty: string) {
  return z
    .array(entry)
    .min(1, empty)
    .max(max, tooMany)
    .transform((entries) => [...new Set(entries)]);
}

/** `allowedIps`: addresses and CIDR ranges, canonical (ip.ts). */
export function allowedIpsRule(surface: Surface) {
  const say = RESTRICTION_MESSAGES[surface];
  return listRule(entryRule(surface, canonicalIp), MAX_ALLOWED_IPS, say.ipsTooMany, say.ipsEmpty);
}

/** `allowedSenderDomains`: domain names, canonical (domains.ts). */
export function allowedSenderDomainsRule(surface: Surface) {
  const say = RESTRICTION_MESSAGES[surface];
  return listRule(entryRule(surface, canonicalDomain), MAX_SENDER_DOMAINS, say.domainsTooMany, say.domainsEmpty);
}
