/**
 * The Drizzle client over the D1 binding, built once per binding.
 */
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Database = DrizzleD1Database<typeof schema>;

const clients = new WeakMap<D1Database, Database>();

/** The Drizzle client for a D1 binding, built once per binding. */
export function getDb(d1: D1Database): Database {
  let db = clients.get(d1);
  if (!db) {
    db = drizzle(d1, { schema });
    clients.set(d1, db);
  }
  return db;
}

/** Whether a D1 error is a unique-index violation (a taken email or key prefix). */
export function isUniqueViolation(error: unknown): boolean {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return /UNIQUE constraint failed/i.test(`${String(error)} ${String(cause)}`);
}
