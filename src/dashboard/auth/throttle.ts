/**
 * Login throttling, in D1: mainly per client address, and per email only in
 * a way a stranger cannot turn against the email's owner (OWASP "device
 * cookies", see devices.ts). In any 15 minutes:
 * - an address gets 20 failed attempts, whatever the emails;
 * - an email gets 5 failed attempts from all untrusted clients together, so
 *   guessing one password from many addresses is as slow as from one;
 * - a trusted device (a browser that logged in as that email before) gets 5
 *   failed attempts of its own, and neither of the counts above applies to
 *   it: a stranger hammering the email, even from the owner's address (an
 *   office NAT), does not lock the owner's browser out.
 * Why not per (email, address) instead: an attacker with many addresses would
 * then get 5 guesses per address, unbounded in total. The cost of this choice:
 * while an email is under attack, its owner on a browser that never logged in
 * waits like everyone else.
 * Every attempt is booked before the password is checked (so a burst of
 * parallel guesses cannot slip past the count), in one D1 batch (a
 * transaction) with the counts and the clean-up of old rows; an attempt
 * refused for throttling is not counted. A success forgets the failures it
 * answers for: its device's, or its email's untrusted ones, in one batch with
 * the user's `user.login` audit entry.
 */
import { and, desc, eq, gte, isNull, lt, type SQL } from "drizzle-orm";
import type { Context } from "hono";
import { loginAuditInsert } from "../../audit/login";
import { type Database, getDb } from "../../db/client";
import { loginAttempts } from "../../db/schema";

export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_EMAIL = 5;
export const MAX_FAILURES_PER_IP = 20;
export const MAX_FAILURES_PER_DEVICE = 5;

/** Who is trying: the email as typed, the client's address, and its trusted-device id (or null). */
export interface LoginAttempt {
  email: string;
  ip: string;
  device: string | null;
}

export type Booking = { ok: true } | { ok: false; retryAfterSeconds: number };

/** The client's address as throttled: IPv4 as is, IPv6 by its /64 (one subscriber's block). */
export function clientAddress(c: Context): string {
  const ip = c.req.header("CF-Connecting-IP")?.trim().toLowerCase().slice(0, 64);
  if (!ip) return "unknown";
  if (!ip.includes(":")) return ip;
  if (ip.includes(".")) return ip.slice(ip.lastIndexOf(":") + 1); // IPv4-mapped
  const [head = "", tail] = ip.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const zeros = tail === undefined ? [] : Array(Math.max(0, 8 - left.length - right.length)).fill("0");
  const groups = [...left, ...zeros, ...right].slice(0, 4).map((g) => g.replace(/^0+(?=.)/, ""));
  return `${groups.join(":")}::/64`;
}

function recent(db: Database, where: SQL, since: Date, limit: number) {
  return db
    .select({ createdAt: loginAttempts.createdAt })
    .from(loginAttempts)
    .where(and(where, gte(loginAttempts.createdAt, since)))
    .orderBy(desc(loginAttempts.createdAt), desc(loginAttempts.id))
    .limit(limit);
}

/** Seconds until fewer than `max` earlier attempts remain in the window, or 0 if there already are. */
function waitFor(rows: Array<{ createdAt: Date }>, max: number, now: number): number {
  // rows[0] is this attempt; rows[max] is the oldest of the `max` attempts before it.
  const oldest = rows[max];
  if (!oldest) return 0;
  return Math.max(1, Math.ceil((oldest.createdAt.getTime() + THROTTLE_WINDOW_MS - now) / 1000));
}

/** The earlier attempts an attempt is counted with: its device's, or its email's from untrusted clients. */
function sameOwner(attempt: LoginAttempt): SQL {
  return attempt.device
    ? eq(loginAttempts.device, attempt.device)
    : (and(eq(loginAttempts.email, attempt.email), isNull(loginAttempts.device)) as SQL);
}

/** Books a login attempt, or refuses it with the seconds to wait when it is throttled. */
export async function beginAttempt(env: Env, attempt: LoginAttempt, now = Date.now()): Promise<Booking> {
  const db = getDb(env.DB);
  const since = new Date(now - THROTTLE_WINDOW_MS);
  const { email, ip, device } = attempt;
  const perOwner = device ? MAX_FAILURES_PER_DEVICE : MAX_FAILURES_PER_EMAIL;
  const [, booked, byOwner, byIp] = await db.batch([
    db.delete(loginAttempts).where(lt(loginAttempts.createdAt, since)),
    db
      .insert(loginAttempts)
      .values({ email, ip, device, createdAt: new Date(now) })
      .returning({ id: loginAttempts.id }),
    recent(db, sameOwner(attempt), since, perOwner + 1),
    recent(db, eq(loginAttempts.ip, ip), since, MAX_FAILURES_PER_IP + 1),
  ]);
  const wait = Math.max(
    waitFor(byOwner, perOwner, now),
    // A trusted device is spared its address's count: the address may be shared with the attacker.
    device ? 0 : waitFor(byIp, MAX_FAILURES_PER_IP, now),
  );
  if (wait === 0) return { ok: true };
  await db.delete(loginAttempts).where(eq(loginAttempts.id, booked[0]?.id as number));
  return { ok: false, retryAfterSeconds: wait };
}

/**
 * After a successful login: forgets the failures it answers for (its own
 * booking among them), and audits it from `ip` (the client's full address).
 */
export async function attemptSucceeded(env: Env, attempt: LoginAttempt, ip: string | null): Promise<void> {
  const db = getDb(env.DB);
  await db.batch([
    db.delete(loginAttempts).where(sameOwner(attempt)),
    loginAuditInsert(db, "user.login", attempt.email, ip),
  ]);
}
