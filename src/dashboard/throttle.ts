/**
 * Login throttling, in D1. Every attempt is booked before the password is
 * checked (so a burst of parallel guesses cannot slip past the count), and
 * refused with a 429 once its email has 5 failed attempts, or its address 20,
 * in the last 15 minutes. A successful login deletes its email's attempts; an
 * attempt that was refused for throttling is not counted. The booking, the
 * counts and the clean-up of old rows run as one D1 batch (a transaction).
 */
import { and, desc, eq, gte, lt, type SQL } from "drizzle-orm";
import type { Context } from "hono";
import { type Database, getDb } from "../db/client";
import { loginAttempts } from "../db/schema";

export const THROTTLE_WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_EMAIL = 5;
export const MAX_FAILURES_PER_IP = 20;

export type Attempt = { ok: true; id: number } | { ok: false; retryAfterSeconds: number };

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

/** Books a login attempt, or refuses it with the seconds to wait when its email or address is throttled. */
export async function beginAttempt(env: Env, email: string, ip: string, now = Date.now()): Promise<Attempt> {
  const db = getDb(env.DB);
  const since = new Date(now - THROTTLE_WINDOW_MS);
  const [, booked, byEmail, byIp] = await db.batch([
    db.delete(loginAttempts).where(lt(loginAttempts.createdAt, since)),
    db
      .insert(loginAttempts)
      .values({ email, ip, createdAt: new Date(now) })
      .returning({ id: loginAttempts.id }),
    recent(db, eq(loginAttempts.email, email), since, MAX_FAILURES_PER_EMAIL + 1),
    recent(db, eq(loginAttempts.ip, ip), since, MAX_FAILURES_PER_IP + 1),
  ]);
  const id = booked[0]?.id as number;
  const wait = Math.max(waitFor(byEmail, MAX_FAILURES_PER_EMAIL, now), waitFor(byIp, MAX_FAILURES_PER_IP, now));
  if (wait === 0) return { ok: true, id };
  await db.delete(loginAttempts).where(eq(loginAttempts.id, id));
  return { ok: false, retryAfterSeconds: wait };
}

/** Forgets the email's attempts after a successful login. */
export async function attemptSucceeded(env: Env, email: string): Promise<void> {
  await getDb(env.DB).delete(loginAttempts).where(eq(loginAttempts.email, email));
}
