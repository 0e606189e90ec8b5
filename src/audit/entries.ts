/**
 * Audit entries (CONTRACT §4): who did what to which account, user or key,
 * from which address. Every write of the operations layer (src/operations)
 * adds its entry to the D1 batch of the write itself, so the entry exists
 * exactly when the write does: a refused or failed write leaves none. An
 * entry names ids only: never a key, secret, password or hash.
 */
import type { SQL } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "../db/client";
import { insertIf } from "../db/conditional";
import { type Actor, auditLog } from "../db/schema";
import { newId } from "../ids";

export type { Actor };

export const AUDIT_ACTIONS = [
  "account.created",
  "account.updated",
  "user.created",
  "user.updated",
  "user.deleted",
  "user.login",
  "user.login_failed",
  "key.created",
  "key.updated",
  "key.revoked",
  "key.rotated",
  "key.leaked",
  "webhook.secret_rolled",
] as const;

export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/**
 * Who is making a change, and from where: every write of the operations
 * layer takes one. Build it with `byAdmin` / `byUser` (context.ts) or
 * `bySystem`.
 */
export interface AuditContext {
  actor: Actor;
  /** The client's address (CF-Connecting-IP); null when there is no client. */
  ip: string | null;
}

/** What an entry is about. */
export interface AuditEntry {
  accountId: string;
  action: AuditAction;
  target: { type: "account" | "user" | "key"; id: string };
  /** Extra facts that are neither secret nor personal beyond the actor, e.g. a leak report's url and source. */
  details?: Record<string, string | null>;
}

/** A change made by the gateway itself (a leak report, the cron job), for `reason`. */
export function bySystem(reason: string, ip: string | null = null): AuditContext {
  return { actor: { type: "system", reason }, ip };
}

function rowOf(by: AuditContext, entry: AuditEntry) {
  return {
    id: newId("aud"),
    accountId: entry.accountId,
    at: new Date(),
    actor: by.actor,
    action: entry.action,
    targetType: entry.target.type,
    targetId: entry.target.id,
    ip: by.ip,
    details: entry.details ?? null,
  };
}

/** The statement appending the entry, for the batch of the write it records. */
export function auditInsert(db: Database, by: AuditContext, entry: AuditEntry) {
  return db.insert(auditLog).values(rowOf(by, entry));
}

/** An audit entry to write only if the write it records happens. */
export interface AuditInsertIfInput {
  by: AuditContext;
  entry: AuditEntry;
  /** The table the write's condition is over (see db/conditional.ts). */
  from: SQLiteTable;
  /** The write's own condition on `from`: the entry is written exactly when a row matches it. */
  where: SQL | undefined;
}

/**
 * The statement appending the entry only if a row of `from` matches `where`
 * when it runs: give it the write's own condition (see db/conditional.ts).
 */
export function auditInsertIf(db: Database, { by, entry, from, where }: AuditInsertIfInput) {
  return insertIf(db, { table: auditLog, row: rowOf(by, entry), from, where });
}
