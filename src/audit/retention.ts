/**
 * The audit log's retention: entries older than AUDIT_RETENTION_DAYS are
 * deleted by the cron job (src/scheduled.ts), a bounded chunk at a time so
 * that one run never holds D1 for long.
 */
import { inArray, lt } from "drizzle-orm";
import type { Config } from "../config";
import { getDb } from "../db/client";
import { auditLog } from "../db/schema";

const DAY_MS = 86_400_000;
const CHUNK = 5_000;
const MAX_CHUNKS = 20;

/** Deletes the entries older than the retention period as of `now`; returns how many. */
export async function pruneAuditLog(env: Env, config: Config, now: number): Promise<number> {
  const db = getDb(env.DB);
  const cutoff = new Date(now - config.AUDIT_RETENTION_DAYS * DAY_MS);
  let deleted = 0;
  for (let chunk = 0; chunk < MAX_CHUNKS; chunk++) {
    const old = db.select({ seq: auditLog.seq }).from(auditLog).where(lt(auditLog.at, cutoff)).limit(CHUNK);
    const result = await db.delete(auditLog).where(inArray(auditLog.seq, old));
    deleted += result.meta.changes;
    if (result.meta.changes < CHUNK) break;
  }
  return deleted;
}
