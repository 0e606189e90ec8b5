/**
 * What the key list shows about each key, and how it is narrowed and ordered.
 * Marks: a test key, a restricted one (IP addresses, sender domains),
 * expired, expiring within 7 days, rolled over (its expiry is final),
 * not used in 90 days (or never, for a key older than that: a candidate to
 * delete), reported as leaked, and revoked (only a key its leak report
 * revoked is listed so, until it is deleted); the rate limit that applies; the account's
 * live keys against its maximum. The list's query parameters (`q`,
 * `status`, `sort`, `dir`) are read here, leniently: an unknown value is the
 * default, so a hand-edited URL still shows the list.
 */
import type { Config } from "../../config";
import { effectiveRateLimit, rateLimitOf } from "../../db/limits";
import type { Account, ApiKey } from "../../db/schema";
import { keyStatus } from "../../keys/status";
import { routes } from "../routes";

const DAY_MS = 86_400_000;
export const EXPIRING_SOON_DAYS = 7;
export const STALE_DAYS = 90;

export interface KeyMarks {
  expired: boolean;
  expiringSoon: boolean;
  rolled: boolean;
  /** Not used in 90 days, or never used and created more than 90 days ago. */
  stale: boolean;
  leaked: boolean;
  /** Revoked by its leak report: listed, marked, until it is deleted; no other mark applies. */
  revoked: boolean;
  /** A test key (CONTRACT §8). */
  test: boolean;
  /** Restricted to IP addresses or sender domains. */
  restricted: boolean;
}

/** The marks of `key` at `now`. */
export function marksOf(key: ApiKey, now = Date.now()): KeyMarks {
  const revoked = key.revokedAt != null;
  const expiresAt = revoked ? undefined : key.expiresAt?.getTime();
  const expired = expiresAt !== undefined && expiresAt <= now;
  const lastUse = key.lastUsedAt?.getTime() ?? key.createdAt.getTime();
  return {
    expired,
    expiringSoon: expiresAt !== undefined && !expired && expiresAt <= now + EXPIRING_SOON_DAYS * DAY_MS,
    rolled: !revoked && key.rotatedAt != null,
    stale: !revoked && lastUse < now - STALE_DAYS * DAY_MS,
    leaked: key.leakedAt != null,
    revoked,
    test: key.mode === "test",
    restricted: key.allowedIps != null || key.allowedSenderDomains != null,
  };
}

/** Whether a key counts against the account's cap: live by the one rule (keys/status.ts), its account aside. */
export const isLive = (key: ApiKey, now = Date.now()) =>
  keyStatus({ revoked: key.revokedAt != null, expiresAt: key.expiresAt?.getTime() ?? null }, false, now) === "live";

/** The account's live keys against its maximum, and the notice to show once it is reached. */
export function keyCap(account: Account, keys: ApiKey[], defaultMax: number) {
  const maxKeys = account.maxKeys ?? defaultMax;
  const live = keys.filter((key) => isLive(key)).length;
  const noun = live === 1 ? "key" : "keys";
  const notice =
    live >= maxKeys
      ? `This account has ${live} ${noun}, its limit of ${maxKeys}: delete a key you no longer use before creating another, or ask MoMail to raise the limit.`
      : undefined;
  return { notice, live, maxKeys };
}

/** The limit that applies to the key, and whose it is (db/limits.ts `effectiveRateLimit`). */
export function keyRateLimit(key: ApiKey, account: Account, config: Config) {
  return effectiveRateLimit(
    rateLimitOf(key.rateLimitLimit, key.rateLimitWindowSeconds),
    rateLimitOf(account.rateLimitLimit, account.rateLimitWindowSeconds),
    config.DEFAULT_RATE_LIMIT,
  );
}

export const SORTS = ["created", "name", "last_used"] as const;
export const STATUSES = ["all", "expiring", "unused", "rolled", "leaked", "test", "restricted"] as const;
export type SortField = (typeof SORTS)[number];
export type StatusFilter = (typeof STATUSES)[number];

export interface ListQuery {
  /** Part of a name or prefix, any case. */
  q: string;
  status: StatusFilter;
  sort: SortField;
  dir: "asc" | "desc";
}

/** The order a column starts in: names A to Z, dates newest first. */
export const naturalDir = (sort: SortField | undefined): ListQuery["dir"] => (sort === "name" ? "asc" : "desc");

const oneOf = <T extends string>(allowed: readonly T[], value: string | undefined, fallback: T): T =>
  allowed.includes(value as T) ? (value as T) : fallback;

/** The list's query from the URL's parameters; anything unknown falls back to the default (newest first). */
export function parseListQuery(params: Record<string, string | undefined>): ListQuery {
  const sort = oneOf(SORTS, params.sort, "created");
  return {
    q: (params.q ?? "").trim().slice(0, 100),
    status: oneOf(STATUSES, params.status, "all"),
    sort,
    dir: oneOf(["asc", "desc"], params.dir, naturalDir(sort)),
  };
}

const collator = new Intl.Collator("en", { sensitivity: "base", numeric: true });

function compare(a: ApiKey, b: ApiKey, sort: SortField): number {
  if (sort === "name") return collator.compare(a.name, b.name);
  // A key never used sorts as the least recently used.
  if (sort === "last_used") return (a.lastUsedAt?.getTime() ?? 0) - (b.lastUsedAt?.getTime() ?? 0);
  return a.createdAt.getTime() - b.createdAt.getTime();
}

/** The keys that match `query`, in its order (ties broken by creation, newest first). */
export function selectKeys(keys: ApiKey[], query: ListQuery, now = Date.now()): ApiKey[] {
  const needle = query.q.toLowerCase();
  const matches = keys.filter((key) => {
    if (needle && !key.name.toLowerCase().includes(needle) && !key.prefix.includes(needle)) return false;
    const marks = marksOf(key, now);
    if (query.status === "expiring") return marks.expiringSoon;
    if (query.status === "unused") return marks.stale;
    if (query.status === "rolled") return marks.rolled;
    if (query.status === "leaked") return marks.leaked;
    if (query.status === "test") return marks.test;
    if (query.status === "restricted") return marks.restricted;
    return true;
  });
  const sign = query.dir === "asc" ? 1 : -1;
  return matches.sort(
    (a, b) =>
      sign * compare(a, b, query.sort) || b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1),
  );
}

/** The list's URL for `query` (defaults left out), for sort links and redirects. */
export function listHref(query: Partial<ListQuery>): string {
  return routes.apiKeys.href({
    q: query.q || undefined,
    status: query.status !== "all" ? query.status : undefined,
    sort: query.sort !== "created" ? query.sort : undefined,
    dir: query.dir !== naturalDir(query.sort) ? query.dir : undefined,
  });
}
