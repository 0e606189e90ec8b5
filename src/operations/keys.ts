/**
 * API keys in D1: create, list, update, revoke, rotate. Only an HMAC of each
 * secret is stored; the full key exists only in the create/rotate answer.
 * Every change holds at the edge before these functions return (see
 * propagate.ts); revocation is told to the key's Durable Object first, so a
 * failure part-way leaves the key refused, never alive, and a retry completes it.
 * Each write's audit entry and webhook event (when the account has a webhook)
 * are written in the write's own D1 batch, under its own condition; the
 * event is enqueued once the batch succeeded (webhooks/outbox.ts).
 */
import { and, desc, eq, gte, isNotNull, isNull, or, type SQL, sql } from "drizzle-orm";
import { type AuditContext, auditInsertIf } from "../audit/entries";
import type { Config } from "../config";
import { hmacHex } from "../crypto";
import { runBatch } from "../db/batch";
import { type Database, getDb, isUniqueViolation } from "../db/client";
import { insertIf } from "../db/conditional";
import { type RateLimit, rateLimitColumns, rateLimitOf } from "../db/limits";
import { type Account, type ApiKey, accounts, apiKeys } from "../db/schema";
import { ApiError } from "../errors";
import { newId } from "../ids";
import { issueKey } from "../keys/issue";
import { forgetKey } from "../keys/lookup";
import type { KeyMode } from "../keys/mode";
import { liveKeySql } from "../keys/status";
import { keyRef, newEvent, type WebhookEvent, type WebhookEventType } from "../webhooks/events";
import { deliveryInsertIf, enqueue, wrote } from "../webhooks/outbox";
import { getAccount } from "./accounts";
import { expireAtEdge, forgetKeys, liveUsage, propagate, revokeAtEdge } from "./propagate";

export interface KeyInput {
  name: string;
  expiresAt?: Date | null;
  scopes?: string[];
  rateLimit?: RateLimit | null;
  /** Fixed at creation (CONTRACT §8); default `live`. */
  mode?: KeyMode;
  /** Canonical, as the restriction rules give them (restrictions/rules.ts); null or absent: any. */
  allowedIps?: string[] | null;
  allowedSenderDomains?: string[] | null;
}

/** What a key's update may change: everything but its mode. */
export type KeyChanges = Partial<Omit<KeyInput, "mode">>;

const PREFIX_ATTEMPTS = 3;

async function newKeyRow(config: Config, accountId: string, input: KeyInput, now: Date, id = newId("key")) {
  const { key, prefix, secret } = await issueKey(config);
  const row: ApiKey = {
    id,
    accountId,
    name: input.name,
    prefix,
    secretHash: await hmacHex(config.KEY_PEPPER, secret),
    pepperVersion: config.KEY_PEPPER_VERSION,
    scopes: input.scopes ?? ["*"],
    ...rateLimitColumns(input.rateLimit ?? null),
    expiresAt: input.expiresAt ?? null,
    revokedAt: null,
    rotatedAt: null,
    lastUsedAt: null,
    leakedAt: null,
    leakDismissedAt: null,
    expiryNotice: null,
    mode: input.mode ?? "live",
    allowedIps: input.allowedIps ?? null,
    allowedSenderDomains: input.allowedSenderDomains ?? null,
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

/**
 * Whether the account holds fewer live keys (keys/status.ts: neither revoked
 * nor expired at `now`; a key in a rotation's grace period is live) than its
 * cap (`max_keys`, else MAX_KEYS_PER_ACCOUNT), as one SQL condition over the
 * account's row: a statement under it cannot pass on a count made before
 * another write landed.
 */
function capRoom(db: Database, accountId: string, defaultMax: number, now: Date): SQL {
  const live = db.$count(apiKeys, and(eq(apiKeys.accountId, accountId), liveKeySql(now)));
  const cap = db
    .select({ cap: sql`coalesce(${accounts.maxKeys}, ${defaultMax})` })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  return sql`${live} < (${cap})`;
}

/** Whether the account is below its cap now (a check before anything is told or written; the batch checks again). */
async function hasRoom(db: Database, accountId: string, defaultMax: number, now: Date): Promise<boolean> {
  const [row] = await db
    .select({ room: sql<number>`${capRoom(db, accountId, defaultMax, now)}` })
    .from(accounts)
    .where(eq(accounts.id, accountId));
  return Boolean(row?.room);
}

/** The statement inserting `row` only while its account is below its cap: two concurrent creations cannot both pass. */
function insertWithinCap(db: Database, row: ApiKey, defaultMax: number, now: Date) {
  return insertIf(db, {
    table: apiKeys,
    row,
    from: accounts,
    where: and(eq(accounts.id, row.accountId), capRoom(db, row.accountId, defaultMax, now)),
  });
}

/** The 409 of a full account. */
function keyCapReached(max: number): ApiError {
  return new ApiError(
    "CONFLICT",
    `This account already has ${max} keys, its limit: delete a key you no longer use, or ask MoMail to raise the limit`,
  );
}

/** What a write needs of the key's account: its id, and where its webhooks go. */
export type AccountRef = Pick<Account, "id" | "webhookUrl">;

/** A new event of the account, or null when it has no webhook (nothing to record or send). */
const eventIf = (account: AccountRef, type: WebhookEventType, data: Record<string, unknown>) =>
  account.webhookUrl ? newEvent(type, account.id, data) : null;

/** What `createKey` needs besides `env`. */
export interface CreateKeyInput {
  config: Config;
  accountId: string;
  /** The new key's name, scopes, limit, expiry, mode and restrictions. */
  input: KeyInput;
  /** Who creates it: `byAdmin(c)`, `byUser(c)` (src/audit/context.ts). */
  by: AuditContext;
}

/**
 * A new key for the account; `key` is the full key, returned only here. A
 * full account is a 409 and nothing is written. The audit entry and the
 * `key.created` event are written in the same batch, only if the key is.
 */
export async function createKey(
  env: Env,
  { config, accountId, input, by }: CreateKeyInput,
): Promise<{ row: ApiKey; key: string }> {
  const account = await getAccount(env, accountId);
  const db = getDb(env.DB);
  const { created, event } = await withFreshPrefix(async () => {
    const now = new Date();
    const fresh = await newKeyRow(config, accountId, input, now);
    const event = eventIf(account, "key.created", { key: keyRef(fresh.row) });
    const theKey = eq(apiKeys.id, fresh.row.id);
    const [inserted] = await runBatch(db, [
      insertWithinCap(db, fresh.row, config.MAX_KEYS_PER_ACCOUNT, now),
      auditInsertIf(db, {
        by,
        entry: { accountId, action: "key.created", target: { type: "key", id: fresh.row.id } },
        from: apiKeys,
        where: theKey,
      }),
      ...(event ? [deliveryInsertIf(db, event, apiKeys, theKey)] : []),
    ]);
    if (!wrote(inserted)) throw keyCapReached(account.maxKeys ?? config.MAX_KEYS_PER_ACCOUNT);
    return { created: fresh, event };
  });
  // A negative cache entry for this prefix (from a junk key) must not hide the new key.
  // Best effort: once the row is written the key exists, and answering an
  // error now would make the caller create a second one.
  await forgetKeys(env, [created.row.prefix]);
  if (event) await enqueue(env, [event]);
  return created;
}

/** The account's keys that match `where`, newest first, each with its last use as the account's gate knows it now. */
async function keysWithLastUse(env: Env, accountId: string, where: SQL | undefined): Promise<ApiKey[]> {
  await getAccount(env, accountId);
  const [keys, live] = await Promise.all([
    getDb(env.DB)
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.accountId, accountId), where))
      .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id)),
    liveUsage(env, accountId),
  ]);
  return keys.map((key) => {
    const at = live?.lastUsed[key.id];
    return at !== undefined && at > (key.lastUsedAt?.getTime() ?? 0) ? { ...key, lastUsedAt: new Date(at) } : key;
  });
}

/**
 * The account's keys that are not revoked, newest first, each with its last
 * use as the account's gate knows it now (D1 only gets it at the next rollup).
 */
export function listKeys(env: Env, accountId: string): Promise<ApiKey[]> {
  return keysWithLastUse(env, accountId, isNull(apiKeys.revokedAt));
}

/**
 * A key that its leak report revoked (LEAKED_KEY_ACTION=revoke) and that no
 * one has deleted since. A key deleted before its leak was reported kept its
 * earlier `revokedAt`, so it is not one; deleting a leaked key that was only
 * flagged sets `leakDismissedAt` (revokeKey).
 */
const revokedByLeakReport = and(
  isNotNull(apiKeys.leakedAt),
  isNull(apiKeys.leakDismissedAt),
  gte(apiKeys.revokedAt, apiKeys.leakedAt),
);

/** The keys the dashboard lists: those listKeys lists, and those a leak report revoked, until deleted (marked). */
const listedOnDashboard = or(isNull(apiKeys.revokedAt), revokedByLeakReport);

/**
 * The account's keys as the dashboard lists them (CONTRACT §5: a key reported
 * as leaked is marked until it is deleted): the live keys, and the keys a
 * leak report revoked, until the user deletes them (dismissLeakedKey).
 */
export function listKeysWithLeaks(env: Env, accountId: string): Promise<ApiKey[]> {
  return keysWithLastUse(env, accountId, listedOnDashboard);
}

/** A key of this account that the dashboard lists (live, or revoked by a leak report and not deleted), or a 404. */
export async function getListedKey(env: Env, accountId: string, keyId: string): Promise<ApiKey> {
  await getAccount(env, accountId);
  const key = await getDb(env.DB).query.apiKeys.findFirst({
    where: and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId), listedOnDashboard),
  });
  if (!key) throw new ApiError("NOT_FOUND", "Key not found");
  return key;
}

/**
 * Deletes a key that a leak report revoked: it is refused already, so this
 * only ends its mark (it leaves the dashboard's list for good), with one
 * `key.revoked` audit entry in the same batch. A key not in that state (never
 * leaked, live, or deleted already) is a 404 and nothing is written.
 */
export async function dismissLeakedKey(env: Env, accountId: string, keyId: string, by: AuditContext): Promise<ApiKey> {
  await getAccount(env, accountId);
  const row = await endLeakMark(env, accountId, keyId, by);
  if (!row) throw new ApiError("NOT_FOUND", "Key not found");
  return row;
}

/** Ends the mark of a key its leak report revoked, audited; undefined (nothing written) if it has none. */
async function endLeakMark(env: Env, accountId: string, keyId: string, by: AuditContext): Promise<ApiKey | undefined> {
  const db = getDb(env.DB);
  const theKey = and(
    eq(apiKeys.id, keyId),
    eq(apiKeys.accountId, accountId),
    isNotNull(apiKeys.revokedAt),
    revokedByLeakReport,
  );
  const now = new Date();
  const entry = {
    accountId,
    action: "key.revoked" as const,
    target: { type: "key" as const, id: keyId },
    details: { note: "revoked by its leak report; now deleted from the dashboard" },
  };
  const [, [row]] = await db.batch([
    auditInsertIf(db, { by, entry, from: apiKeys, where: theKey }),
    db.update(apiKeys).set({ leakDismissedAt: now, updatedAt: now }).where(theKey).returning(),
  ]);
  return row;
}

/** Every key of the account, revoked ones too, by id: what a usage row or an audit entry names. */
export async function keyNames(
  env: Env,
  accountId: string,
): Promise<Map<string, Pick<ApiKey, "id" | "name" | "prefix" | "revokedAt">>> {
  const rows = await getDb(env.DB)
    .select({ id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix, revokedAt: apiKeys.revokedAt })
    .from(apiKeys)
    .where(eq(apiKeys.accountId, accountId));
  return new Map(rows.map((row) => [row.id, row]));
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

/** What `updateKey` needs besides `env`. */
export interface UpdateKeyInput {
  accountId: string;
  keyId: string;
  /** The fields to change; undefined ones are left alone. */
  changes: KeyChanges;
  /** Who changes it: `byAdmin(c)`, `byUser(c)` (src/audit/context.ts). */
  by: AuditContext;
}

/**
 * Applies `changes`; the next request with the key sees them. A rotated-out
 * key's expiry is final: a change of it is a 409 and writes nothing. A new
 * expiry clears the key's expiry notices (webhooks/expiring.ts): notices are
 * due again for it.
 */
export async function updateKey(env: Env, { accountId, keyId, changes, by }: UpdateKeyInput): Promise<ApiKey> {
  const current = await getLiveKey(env, accountId, keyId);
  const changesExpiry = changes.expiresAt !== undefined;
  if (changesExpiry && current.rotatedAt) throw rotatedOut(current, EXPIRY_IS_FINAL);
  // A rotation that lands between the check above and this write still wins.
  const theKey = and(eq(apiKeys.id, current.id), changesExpiry ? isNull(apiKeys.rotatedAt) : undefined);
  const db = getDb(env.DB);
  const [, [row]] = await db.batch([
    auditInsertIf(db, {
      by,
      entry: { accountId, action: "key.updated", target: { type: "key", id: current.id } },
      from: apiKeys,
      where: theKey,
    }),
    db
      .update(apiKeys)
      .set({
        name: changes.name,
        scopes: changes.scopes,
        expiresAt: changes.expiresAt,
        ...(changesExpiry && { expiryNotice: null }),
        ...rateLimitColumns(changes.rateLimit),
        allowedIps: changes.allowedIps,
        allowedSenderDomains: changes.allowedSenderDomains,
        updatedAt: new Date(),
      })
      .where(theKey)
      .returning(),
  ]);
  if (!row) throw rotatedOut(await getLiveKey(env, accountId, keyId), EXPIRY_IS_FINAL);
  await propagate(env, [current]);
  return row;
}

/** How a revocation is recorded: a plain one, or a leak report's (leaks.ts). */
export interface Revocation {
  action: "key.revoked" | "key.leaked";
  by: AuditContext;
  /** More columns to set with `revokedAt` (a leak's `leakedAt`, a deleted leaked key's `leakDismissedAt`). */
  set?: Partial<ApiKey>;
  details?: Record<string, string | null>;
  /** The event's data beyond the key (a leak's source and url). */
  data?: Record<string, unknown>;
}

/**
 * Revokes `key` of `account` for good, the one way the gateway does it: its
 * account's gate is told first (so a failure part-way leaves the key
 * refused, never alive), then D1 is written in one batch with the audit
 * entry and the event, then the caches are purged and the event enqueued.
 * The batch is written under the condition that makes it happen once: a
 * deletion while the key is not revoked yet, a leak while it is not marked
 * yet (a key revoked meanwhile keeps its first `revokedAt` and is still
 * marked). So a second, concurrent call records nothing. Returns when the
 * key was revoked.
 */
export async function revokeWith(env: Env, account: AccountRef, key: ApiKey, how: Revocation): Promise<Date> {
  await revokeAtEdge(env, key);
  const revokedAt = key.revokedAt ?? new Date();
  const leak = how.action === "key.leaked";
  let event: WebhookEvent | null = null;
  if (!key.revokedAt || leak) {
    const db = getDb(env.DB);
    const once = and(eq(apiKeys.id, key.id), isNull(leak ? apiKeys.leakedAt : apiKeys.revokedAt));
    event = eventIf(account, leak ? "key.leaked" : "key.revoked", {
      key: keyRef(key),
      revokedAt: revokedAt.toISOString(),
      ...how.data,
    });
    const target = { type: "key" as const, id: key.id };
    const entry = { accountId: account.id, action: how.action, target, details: how.details };
    const [, recorded] = await runBatch(db, [
      auditInsertIf(db, { by: how.by, entry, from: apiKeys, where: once }),
      ...(event ? [deliveryInsertIf(db, event, apiKeys, once)] : []),
      db
        .update(apiKeys)
        .set({
          ...how.set,
          revokedAt: sql`coalesce(${apiKeys.revokedAt}, ${revokedAt.getTime()})`,
          updatedAt: revokedAt,
        })
        .where(once),
    ]);
    if (event && !wrote(recorded)) event = null;
  }
  await forgetKey(env, key.prefix);
  if (event) await enqueue(env, [event]);
  return revokedAt;
}

/**
 * Revokes the key for good: refused everywhere once this returns. Revoking a
 * key that is already revoked is a no-op that answers the same (idempotent),
 * so a retry after a failure completes the revocation; only the revocation
 * itself is audited. The one exception is a key its leak report revoked: its
 * first deletion ends its mark on the dashboard, with one audit entry.
 */
export async function revokeKey(
  env: Env,
  accountId: string,
  keyId: string,
  by: AuditContext,
): Promise<{ id: string; revokedAt: Date }> {
  const account = await getAccount(env, accountId);
  const key = await getDb(env.DB).query.apiKeys.findFirst({
    where: and(eq(apiKeys.id, keyId), eq(apiKeys.accountId, accountId)),
  });
  if (!key) throw new ApiError("NOT_FOUND", "Key not found");
  // A deleted leaked key (one only flagged) leaves the dashboard's list with its mark.
  const set = key.leakedAt ? { leakDismissedAt: new Date() } : undefined;
  const revokedAt = await revokeWith(env, account, key, { action: "key.revoked", by, set });
  // Revoked already, so nothing was written. If its leak report revoked it, deleting it ends its mark on
  // the dashboard, audited, as the dashboard's Delete does; otherwise this writes nothing either.
  if (key.revokedAt) await endLeakMark(env, accountId, keyId, by);
  return { id: key.id, revokedAt };
}

/** What `rotateKey` needs besides `env`. */
export interface RotateKeyInput {
  config: Config;
  accountId: string;
  /** The key to rotate out (live, not rotated out already). */
  keyId: string;
  /** How long the old key keeps working beside its successor; 0: it expires at once. */
  gracePeriodSeconds: number;
  /** Who rotates it: `byAdmin(c)`, `byUser(c)` (src/audit/context.ts). */
  by: AuditContext;
}

/**
 * Issues a successor with the same name, scopes, limit, expiry, mode and restrictions; the old
 * key keeps working for `gracePeriodSeconds`, then expires for good (it is
 * marked rotated out, and a second rotation is a 409 before anything is told
 * or written). While both live they share the old key's rate-limit budget,
 * and the old key counts toward the account's cap: a rotation with a grace
 * period needs room for one more key (409 otherwise), one without always
 * succeeds.
 *
 * The gate learns the old key's new expiry and the successor's shared budget
 * first, then both rows, the audit entry and the event are written in one
 * batch, each under the condition that the rotation happens (the old key is
 * not rotated out yet, and, with a grace period, the account is below its
 * cap): every failure answers an error with no successor created (a retry is
 * safe), two concurrent rotations make one successor, and a refusal in D1
 * has the gate read the old key again, so it keeps its expiry.
 */
export async function rotateKey(
  env: Env,
  { config, accountId, keyId, gracePeriodSeconds, by }: RotateKeyInput,
): Promise<{ row: ApiKey; key: string }> {
  const old = await getLiveKey(env, accountId, keyId);
  if (old.rotatedAt) throw rotatedOut(old, ROTATED_ONCE);
  const account = await getAccount(env, accountId);
  const db = getDb(env.DB);
  const max = account.maxKeys ?? config.MAX_KEYS_PER_ACCOUNT;
  const overlap = gracePeriodSeconds > 0;
  if (overlap && !(await hasRoom(db, accountId, config.MAX_KEYS_PER_ACCOUNT, new Date()))) throw graceNeedsRoom(max);
  // The successor's id is fixed before the gate is told: it shares the old key's budget from its first request.
  const successorId = newId("key");
  // The grace period runs from when the gate holds the new expiry, which may first wait out a lease.
  const oldExpiry = await expireAtEdge(env, old, gracePeriodSeconds * 1000, successorId);
  const now = new Date();
  const notRotated = and(eq(apiKeys.id, old.id), isNull(apiKeys.rotatedAt));
  const rotates = overlap ? and(notRotated, capRoom(db, accountId, config.MAX_KEYS_PER_ACCOUNT, now)) : notRotated;
  const successor = eq(apiKeys.id, successorId);
  const outcome = await withFreshPrefix(async () => {
    const fresh = await newKeyRow(config, accountId, inherited(old, now), now, successorId);
    const event = eventIf(account, "key.rotated", {
      key: keyRef(old),
      newKey: keyRef(fresh.row),
      oldKeyExpiresAt: oldExpiry.toISOString(),
    });
    const entry = {
      accountId,
      action: "key.rotated" as const,
      target: { type: "key" as const, id: old.id },
      details: { newKeyId: fresh.row.id },
    };
    // The successor is written first, under the rotation's condition; the rest follow it (the count then includes it).
    const [inserted] = await runBatch(db, [
      insertIf(db, { table: apiKeys, row: fresh.row, from: apiKeys, where: rotates }),
      auditInsertIf(db, { by, entry, from: apiKeys, where: successor }),
      ...(event ? [deliveryInsertIf(db, event, apiKeys, successor)] : []),
      db
        .update(apiKeys)
        .set({ expiresAt: oldExpiry, rotatedAt: now, updatedAt: now })
        .where(and(notRotated, sql`exists (select 1 from api_keys where id = ${successorId})`)),
    ]);
    return wrote(inserted) ? { created: fresh, event } : undefined;
  });
  if (!outcome) {
    const current = await getLiveKey(env, accountId, keyId);
    if (current.rotatedAt) throw rotatedOut(current, ROTATED_ONCE);
    // Refused by the cap after the gate was told: it reads the old key again, which drops the expiry it was given.
    await propagate(env, [old]);
    throw graceNeedsRoom(max);
  }
  await forgetKeys(env, [outcome.created.row.prefix, old.prefix]);
  if (outcome.event) await enqueue(env, [outcome.event]);
  return outcome.created;
}

/**
 * What a successor takes from the key it replaces: name, scopes, limit,
 * expiry, mode and restrictions. An already-expired key's successor is not born expired.
 */
function inherited(old: ApiKey, now: Date): KeyInput {
  return {
    name: old.name,
    scopes: old.scopes,
    expiresAt: old.expiresAt && old.expiresAt > now ? old.expiresAt : null,
    rateLimit: rateLimitOf(old.rateLimitLimit, old.rateLimitWindowSeconds),
    mode: old.mode,
    allowedIps: old.allowedIps,
    allowedSenderDomains: old.allowedSenderDomains,
  };
}

/** The 409 of a rotation with a grace period in a full account. */
function graceNeedsRoom(max: number): ApiError {
  return new ApiError(
    "CONFLICT",
    `This account already has ${max} keys, its limit, and a rotation with a grace period keeps the old key live beside the new one: rotate without a grace period, or delete a key you no longer use`,
  );
}
