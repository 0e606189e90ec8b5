/**
 * Showing a secret once, after a redirect (Post/Redirect/Get), so that
 * reloading the page or going back never creates, rolls or resets anything a
 * second time: a new or rolled API key, or a webhook's new signing secret.
 *
 * The form's POST makes the secret, then holds it for one view: a
 * `key_reveals` row (of its kind: `key` or `webhook_secret`) with the secret
 * sealed (AES-256-GCM) under a key derived from the session's token, which
 * only the browser's HttpOnly cookie holds (D1 keeps its SHA-256 only). The
 * POST answers 303 to the page that shows it (`routes.keyShown` for a key,
 * `routes.webhookSecret` for a webhook secret); that GET deletes the row
 * and reads it in one statement (DELETE … RETURNING), so only one view ever
 * gets it. The row is bound to its session and kind, lives 10 minutes at
 * most, and goes with the session (logout, password change). A copy of D1
 * without the cookie reveals nothing; the plain secret is never stored or
 * logged, nor put in a URL.
 */
import { and, eq, gt, lt } from "drizzle-orm";
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { seal, unseal } from "../crypto";
import { getDb } from "../db/client";
import { type KeyReveal, keyReveals } from "../db/schema";
import { sessionToken } from "./auth/session";
import { isToken, randomToken } from "./auth/tokens";
import { routes } from "./routes";

export const REVEAL_TTL_MS = 10 * 60 * 1000;

/** What a key reveal shows: the key (and, for a roll, the key it replaces). */
export interface Reveal {
  keyId: string;
  replacesKeyId: string | null;
  key: string;
}

type Kind = KeyReveal["kind"];
type Held = Pick<KeyReveal, "kind" | "keyId" | "replacesKeyId">;

const purpose = (id: string) => `momail-dashboard-reveal:${id}`;

/** Holds `secret` for one view by this session; answers the reveal's id. */
async function hold(c: Context<AppEnv>, held: Held, secret: string): Promise<string> {
  const token = sessionToken(c) as string;
  const id = randomToken();
  const now = new Date();
  const db = getDb(c.env.DB);
  await db.batch([
    db.delete(keyReveals).where(lt(keyReveals.expiresAt, now)),
    db.insert(keyReveals).values({
      id,
      sessionId: c.var.session.id,
      ...held,
      sealed: await seal(token, purpose(id), secret),
      expiresAt: new Date(now.getTime() + REVEAL_TTL_MS),
    }),
  ]);
  return id;
}

/** The reveal `id` of this kind and session, taken (deleted) as it is read; null if shown already, expired or not this session's. */
async function take(c: Context<AppEnv>, kind: Kind, id: string): Promise<(Held & { secret: string }) | null> {
  if (!isToken(id)) return null;
  const [row] = await getDb(c.env.DB)
    .delete(keyReveals)
    .where(
      and(
        eq(keyReveals.id, id),
        eq(keyReveals.kind, kind),
        eq(keyReveals.sessionId, c.var.session.id),
        gt(keyReveals.expiresAt, new Date()),
      ),
    )
    .returning();
  if (!row) return null;
  const secret = await unseal(sessionToken(c) as string, purpose(id), row.sealed);
  return secret === null ? null : { kind, keyId: row.keyId, replacesKeyId: row.replacesKeyId, secret };
}

/** Holds a new key for one view by this session; answers the path of that view. */
export async function holdForOneView(c: Context<AppEnv>, reveal: Reveal): Promise<string> {
  const id = await hold(c, { kind: "key", keyId: reveal.keyId, replacesKeyId: reveal.replacesKeyId }, reveal.key);
  return routes.keyShown.href({ revealId: id });
}

/** The key reveal `id` of this session, taken as it is read; null if shown already, expired or not this session's. */
export async function takeReveal(c: Context<AppEnv>, id: string): Promise<Reveal | null> {
  const held = await take(c, "key", id);
  return held && { keyId: held.keyId, replacesKeyId: held.replacesKeyId, key: held.secret };
}

/** Holds the account's new webhook signing secret for one view by this session; answers the path of that view. */
export async function holdSecretForOneView(c: Context<AppEnv>, secret: string): Promise<string> {
  const id = await hold(c, { kind: "webhook_secret", keyId: c.var.session.accountId, replacesKeyId: null }, secret);
  return routes.webhookSecret.href({ revealId: id });
}

/** The webhook secret reveal `id` of this session, taken as it is read; null if shown already, expired or not this session's. */
export async function takeSecretReveal(c: Context<AppEnv>, id: string): Promise<string | null> {
  return (await take(c, "webhook_secret", id))?.secret ?? null;
}
