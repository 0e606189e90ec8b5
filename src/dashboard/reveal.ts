/**
 * Showing a new key once, after a redirect (Post/Redirect/Get), so that
 * reloading the page or going back never creates or rolls a second key.
 *
 * The form's POST creates (or rolls) the key, then holds it for one view:
 * a `key_reveals` row with the full key sealed (AES-256-GCM) under a key
 * derived from the session's token, which only the browser's HttpOnly cookie
 * holds (D1 keeps its SHA-256 only). The POST answers 303 to
 * `/dashboard/settings/api-keys/shown/{id}`; that GET deletes the row and
 * reads it in one statement (DELETE … RETURNING), so only one view ever
 * gets the key. The row is bound to its session, lives 10 minutes at most,
 * and goes with the session (logout, password change). A copy of D1 without
 * the cookie reveals nothing; the plain key is never stored or logged.
 */
import { and, eq, gt, lt } from "drizzle-orm";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { seal, unseal } from "../crypto";
import { getDb } from "../db/client";
import { keyReveals } from "../db/schema";
import { randomToken, sessionToken } from "./session";

export const REVEAL_TTL_MS = 10 * 60 * 1000;
export const SHOWN_PATH = "/dashboard/settings/api-keys/shown";
const REVEAL_ID = /^[A-Za-z0-9_-]{43}$/;

/** What a reveal shows: the key (and, for a roll, the key it replaces). */
export interface Reveal {
  keyId: string;
  replacesKeyId: string | null;
  key: string;
}

const purpose = (id: string) => `momail-dashboard-reveal:${id}`;

/** Holds `reveal` for one view by this session; answers the path of that view. */
export async function holdForOneView(c: Context<AppEnv>, reveal: Reveal): Promise<string> {
  const token = sessionToken(c) as string;
  const id = randomToken();
  const now = new Date();
  const db = getDb(c.env.DB);
  await db.batch([
    db.delete(keyReveals).where(lt(keyReveals.expiresAt, now)),
    db.insert(keyReveals).values({
      id,
      sessionId: c.var.session.id,
      keyId: reveal.keyId,
      replacesKeyId: reveal.replacesKeyId,
      sealed: await seal(token, purpose(id), reveal.key),
      expiresAt: new Date(now.getTime() + REVEAL_TTL_MS),
    }),
  ]);
  return `${SHOWN_PATH}/${id}`;
}

/** The reveal `id` of this session, taken (deleted) as it is read; null if shown already, expired or not this session's. */
export async function takeReveal(c: Context<AppEnv>, id: string): Promise<Reveal | null> {
  if (!REVEAL_ID.test(id)) return null;
  const [row] = await getDb(c.env.DB)
    .delete(keyReveals)
    .where(and(eq(keyReveals.id, id), eq(keyReveals.sessionId, c.var.session.id), gt(keyReveals.expiresAt, new Date())))
    .returning();
  if (!row) return null;
  const key = await unseal(sessionToken(c) as string, purpose(id), row.sealed);
  return key === null ? null : { keyId: row.keyId, replacesKeyId: row.replacesKeyId, key };
}
