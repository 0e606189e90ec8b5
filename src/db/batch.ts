/**
 * A D1 batch (one transaction) of a list of statements built at run time,
 * for writes whose statements depend on the data (an audit entry always, a
 * webhook delivery only when the account has a webhook). Drizzle's own
 * `batch` wants a non-empty tuple; this takes any list.
 */
import type { BatchItem } from "drizzle-orm/batch";
import type { Database } from "./client";

export type Statement = BatchItem<"sqlite">;

/** Runs `statements` in one batch; the results are in the same order (an empty list runs nothing). */
export async function runBatch(db: Database, statements: Statement[]): Promise<unknown[]> {
  const [first, ...rest] = statements;
  if (!first) return [];
  return (await db.batch([first, ...rest])) as unknown[];
}
