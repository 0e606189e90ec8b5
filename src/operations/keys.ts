/**
 * API keys in D1: create, list, update, revoke, rotate. Only an HMAC of each
 * secret is stored; the full key exists only in the create/rotate answer.
 * Every change holds at the edge before these functions return (see
 * propagate.ts); revocation is told to the key's Durable Object first, so a
 * failure part-way leaves the key refused, never alive, and a retry completes it.
 */
import { and, desc, eq, getTableColumns, gt, isNull, or, type SQL, sql } from "drizzle-orm";
import type { Config } from "../config";
import { hmacHex } from "../crypto";
import { type Database, getDb, isUniqueViolation } from "../db/client";
import type { RateLimit } from "../db/limits";
import { type ApiKey, accounts, apiKeys } from "../db/schema";
import { ApiError } from "../errors";
import { newId } from "../ids";
import { issueKey } from "../keys/issue";
import { forgetKey } from "../keys/lookup";
import { getAccount } from "./accounts";
import { expireAtEdge, forgetKeys, liveUsage, propagate, revokeAtEdge } from "./propagate";

export interface KeyInput {
  name: string;
  expiresAt?: Date | null;
  scopes?: string[];
  rateLimit?: RateLimit | null;
}

export type KeyChanges = Partial<KeyInput>;

const PREFIX_ATTEMPTS = 3;

async function newKeyRow(config: Config, accountId: string, input: KeyInput, now: Date) {
  const { key, prefix, secret } = await issueKey(config);
  const row: ApiKey = {
    id: newId("key"),
    accountId,
    name: input.name,
    prefix,
    secretHash: await hmacHex(config.KEY_PEPPER, secret),
    pepperVersion: config.KEY_PEPPER_VERSION,
    scopes: input.scopes ?? ["*"],
    rateLimitLimit: input.rateLimit?.limit ?? null,
    rateLimitWindowSeconds: input.rateLimit?.windowSeconds ?? null,
    expiresAt: input.expiresAt ?? null,
    revokedAt: null,
    rotatedAt: null,
    lastUsedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  return { row, key };
}

/** Retries a write that inserted a new key if its random prefix happened to be taken. */
async function withFreshPrefix<T>(write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (!isUniqueViolation(error) || attempt >= PREFIX_ATTEMPTS) throw error;
    }
  }
}

/** Keys that count against an account's cap: neither revoked nor expired at `now`. */
function liveKeysOf(accountId: string, now: Date) {
  return and(
    eq(apiKeys.accountId, accountId),
    isNull(apiKeys.revokedAt),
    or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
  );
}

/**
 * Inserts `row` only while its account holds fewer live keys than its cap
 * (`max_keys`, else MAX_KEYS_PER_ACCOUNT), in one statement: two concurrent
 * creations cannot both pass a count made before either wrote. Returns
 * whether the row was written.
 */
async function insertWithinCap(db: Database, row: ApiKey, defaultMax: number, now: Date): Promise<boolean> {
  const values = Object.fromEntries(
    Object.entries(getTableColumns(apiKeys)).map(([name, column]) => {
      const value = row[name as keyof ApiKey];
      return [name, value === null ? sql`null` : sql`${column.mapToDriverValue(value)}`.as(column.name)];
    }),
  ) as Record<keyof ApiKey, SQL.Aliased>;
  const live = db.$count(apiKeys, liveKeysOf(row.accountId, now));
  const result = await db.insert(apiKeys).select(
    db
      .select({ ...values, accountId: accounts.id })
      .from(accounts)
      .where(and(eq(accounts.id, row.accountId), sql`${live} < coalesce(${accounts.maxKeys}, ${defaultMax})`)),
  );
  return result.meta.changes > 0;
}

/** A new key for the account; `key` is the full key, returned only here. A full account is a 409 and nothing is written. */
export async function createKey(
  env: Env,
  config: Config,
  accountId: string,
  input: KeyInput,
): Promise<{ row: ApiKey; key: string }> {
  const account = await getAccount(env, accountId);
  const created = await withFreshPrefix(async () => {
    const now = new Date();
    const fresh = await newKeyRow(config, accountId, input, now);
    if (!(await insertWithinCap(getDb(env.DB), fresh.row, config.MAX_KEYS_PER_ACCOUNT, now))) {
      const max = account.maxKeys ?? config.MAX_KEYS_PER_ACCOUNT;
      throw new ApiError(
        "CONFLICT",
        `This account already has ${max} keys, its limit: delete a key you no longer use, or ask MoMail to raise the limit`,
      );
    }
    return fresh;
  });
  // A negative cache entry for this prefix (from a junk key) must not hide the new key.
  // Best effort: once the row is written the key exists, and answering an
  // error now would make the caller create a second one.
  await forgetKeys(env, [created.row.prefix]);
  return created;
}

/**
 * The account's keys that are not revoked, newest first, each with its last
 * use as the account's gate knows it now (D1 only gets it at the next rollup).
 */
export async function listKeys(env: Env, accountId: string): Promise<ApiKey[]> {
  await getAccount(env, accountId);
  const [keys, live] = await Promise.all([
    getDb(env.DB)
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAt)))
      .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id)),
    liveUsage(env, accountId),
  ]);
  return keys.map((key) => {
    const at = live?.lastUsed[key.id];
    return at !== undefined && at > (key.lastUsedAt?.getTime() ?? 0) ? { ...key, lastUsedAt: new Date(at) } : key;
  });
}

/** The live (not revoked) key of this account, or a 404. */
export async function getLiveKey(env: Env, accountId: string, keyId: string): Promise<ApiKey> {
  await getAccount(env, accountId);
  const key = await getDb(env.DB).query.apiKeys.findFirst({
    where: and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId), isNull(apiKeys.revokedAt)),
  });
  if (!key) throw new ApiError("NOT_FOUND", "Key not found");
  return key;
}

/** The 409 for a change a rotated-out key refuses: its expiry is final. */
function rotatedOut(key: ApiKey, refused: string): ApiError {
  const expiry = key.expiresAt ?? key.rotatedAt ?? new Date();
  const tense = expiry.getTime() > Date.now() ? "expires" : "expired";
  return new ApiError("CONFLICT", `This key was rotated out and ${tense} at ${expiry.toISOString()}; ${refused}`);
}

const EXPIRY_IS_FINAL = "its expiry cannot be changed";
const ROTATED_ONCE = "it cannot be rotated again";

/**
 * Applies `changes`; the next request with the key sees them. A rotated-out
 * key's expiry is final: a change of it is a 409 and writes nothing.
 */
export async function updateKey(env: Env, accountId: string, keyId: string, changes: KeyChanges): Promise<ApiKey> {
  const current = await getLiveKey(env, accountId, keyId);
  const changesExpiry = changes.expiresAt !== undefined;
  if (changesExpiry && current.rotatedAt) throw rotatedOut(current, EXPIRY_IS_FINAL);
  const [row] = await getDb(env.DB)
    .update(apiKeys)
    .set({
      name: changes.name,
      scopes: changes.scopes,
      expiresAt: changes.expiresAt,
      ...(changes.rateLimit !== undefined && {
        rateLimitLimit: changes.rateLimit?.limit ?? null,
        rateLimitWindowSeconds: changes.rateLimit?.windowSeconds ?? null,
      }),
      updatedAt: new Date(),
    })
    // A rotation that lands between the check above and this write still wins.
    .where(and(eq(apiKeys.id, current.id), changesExpiry ? isNull(apiKeys.rotatedAt) : undefined))
    .returning();
  if (!row) throw rotatedOut(await getLiveKey(env, accountId, keyId), EXPIRY_IS_FINAL);
  await propagate(env, [current]);
  return row;
}

/**
 * Revokes the key for good: refused everywhere once this returns. Revoking a
 * key that is already revoked is a no-op that answers the same (idempotent),
 * so a retry after a failure completes the revocation.
 */
export async function revokeKey(env: Env, accountId: string, keyId: string): Promise<{ id: string; revokedAt: Date }> {
  await getAccount(env, accountId);
  const db = getDb(env.DB);
  const key = await db.query.apiKeys.findFirst({ where: and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)) });
  if (!key) throw new ApiError("NOT_FOUND", "Key not found");
  await revokeAtEdge(env, key);
  const revokedAt = key.revokedAt ?? new Date();
  if (!key.revokedAt) {
    await db.update(apiKeys).set({ revokedAt, updatedAt: revokedAt }).where(eq(apiKeys.id, key.id));
  }
  await forgetKey(env, key.prefix);
  return { id: key.id, revokedAt };
}

/**
 * Issues a successor with the same name, scopes, limit and expiry; the old
 * key keeps working for `gracePeriodSeconds`, then expires for good (it is
 * marked rotated out, and a second rotation is a 409 before anything is told
 * or written). The old key's object learns its new expiry first, then both
 * rows are written in one batch, so every failure answers an error with no
 * successor created (a retry is safe), and once the successor exists nothing
 * is left to fail.
 */
export async function rotateKey(
  env: Env,
  config: Config,
  accountId: string,
  keyId: string,
  gracePeriodSeconds: number,
): Promise<{ row: ApiKey; key: string }> {
  const old = await getLiveKey(env, accountId, keyId);
  if (old.rotatedAt) throw rotatedOut(old, ROTATED_ONCE);
  const now = new Date();
  const graceEnd = new Date(now.getTime() + gracePeriodSeconds * 1000);
  const oldExpiry = old.expiresAt && old.expiresAt < graceEnd ? old.expiresAt : graceEnd;
  await expireAtEdge(env, old, oldExpiry);
  const db = getDb(env.DB);
  const created = await withFreshPrefix(async () => {
    const fresh = await newKeyRow(
      config,
      accountId,
      {
        name: old.name,
        scopes: old.scopes,
        // An already-expired key's successor is not born expired.
        expiresAt: old.expiresAt && old.expiresAt > now ? old.expiresAt : null,
        rateLimit:
          old.rateLimitLimit != null && old.rateLimitWindowSeconds != null
            ? { limit: old.rateLimitLimit, windowSeconds: old.rateLimitWindowSeconds }
            : null,
      },
      now,
    );
    await db.batch([
      db.insert(apiKeys).values(fresh.row),
      db.update(apiKeys).set({ expiresAt: oldExpiry, rotatedAt: now, updatedAt: now }).where(eq(apiKeys.id, old.id)),
    ]);
    return fresh;
  });
  await forgetKeys(env, [created.row.prefix, old.prefix]);
  return created;
}
