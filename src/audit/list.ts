/**
 * Reading an account's audit log, newest first, a page at a time (the admin
 * API's `GET …/audit-log` and the dashboard's Audit log page). The cursor is
 * the position of the page's last entry in the log's own order (`seq`, which
 * only grows): entries written while a client pages are never shown twice
 * or skipped, they only appear on a new first page.
 */
import { and, desc, eq, lt } from "drizzle-orm";
import { getDb } from "../db/client";
import { type Actor, type AuditRow, auditLog } from "../db/schema";
import { ApiError } from "../errors";
import { getAccount } from "../operations/accounts";
import type { AuditAction } from "./entries";

export const DEFAULT_AUDIT_PAGE = 50;
export const MAX_AUDIT_PAGE = 100;

/** An entry as the API and the dashboard show it. `details` only when the entry has some (a leak report's url and source). */
export interface AuditEntryView {
  id: string;
  at: string;
  actor: Actor;
  action: AuditAction;
  target: { type: string; id: string };
  ip: string | null;
  details?: Record<string, string | null>;
}

export interface AuditPage {
  entries: AuditEntryView[];
  /** Pass it back as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

const CURSOR = /^[A-Za-z0-9_-]{2,24}$/;

function encodeCursor(seq: number): string {
  return btoa(`a${seq}`).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** The `seq` a cursor points below, or a 400 naming the field. */
function decodeCursor(cursor: string): number {
  let decoded = "";
  try {
    if (CURSOR.test(cursor)) decoded = atob(cursor.replaceAll("-", "+").replaceAll("_", "/"));
  } catch {
    // Not base64: refused below.
  }
  const match = /^a([1-9]\d{0,14})$/.exec(decoded);
  if (!match) throw new ApiError("BAD_REQUEST", "cursor: is not a cursor this API returned");
  return Number(match[1]);
}

export function auditEntryView(row: AuditRow): AuditEntryView {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: row.actor,
    // Written only by auditInsert/auditInsertIf, from the AuditAction union.
    action: row.action as AuditAction,
    target: { type: row.targetType, id: row.targetId },
    ip: row.ip,
    ...(row.details && { details: row.details }),
  };
}

/**
 * A page of the account's audit log, newest first: at most `limit` entries
 * (1 to MAX_AUDIT_PAGE, default DEFAULT_AUDIT_PAGE) older than `cursor`. An
 * unknown account is a 404, a bad cursor a 400.
 */
export async function listAuditLog(
  env: Env,
  accountId: string,
  page: { limit?: number; cursor?: string | null } = {},
): Promise<AuditPage> {
  const limit = page.limit ?? DEFAULT_AUDIT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_PAGE) {
    throw new ApiError("BAD_REQUEST", `limit: must be a whole number from 1 to ${MAX_AUDIT_PAGE}`);
  }
  const before = page.cursor ? decodeCursor(page.cursor) : undefined;
  await getAccount(env, accountId);
  const rows = await getDb(env.DB)
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.accountId, accountId), before === undefined ? undefined : lt(auditLog.seq, before)))
    .orderBy(desc(auditLog.seq))
    .limit(limit + 1);
  const entries = rows.slice(0, limit);
  const last = entries.at(-1);
  return {
    entries: entries.map(auditEntryView),
    nextCursor: rows.length > limit && last ? encodeCursor(last.seq) : null,
  };
}
