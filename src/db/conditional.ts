/**
 * Conditional inserts: `INSERT INTO t SELECT <the row's values> FROM f WHERE
 * <condition>`, one statement that writes the row only if the condition holds
 * when it runs. Inside a D1 batch (one transaction) this ties a row to
 * another write's own condition: an audit entry placed before an
 * `UPDATE … WHERE revoked_at IS NULL`, under that same condition, is written
 * exactly when the update changes something, even if two requests race.
 */
import { getTableColumns, is, SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Database } from "./client";

/** What `insertIf` writes, and the condition it writes it under. */
export interface InsertIfInput<T extends SQLiteTable> {
  table: T;
  /** The row's values; a value may be SQL over `from`'s columns (the matched row's id, say). */
  row: { [K in keyof T["$inferInsert"]]?: T["$inferInsert"][K] | SQL };
  /** The table `where` is over: the row is written once per row of it that matches. */
  from: SQLiteTable;
  /** The condition on `from`; make it match at most one row. undefined: no condition (every row of `from`). */
  where: SQL | undefined;
}

/**
 * The statement inserting `row` into `table` once per row of `from` matching
 * `where`. Columns left undefined get their default, else null (an
 * autoincrement key then takes the next value).
 */
export function insertIf<T extends SQLiteTable>(db: Database, { table, row, from, where }: InsertIfInput<T>) {
  const values = Object.fromEntries(
    Object.entries(getTableColumns(table)).map(([name, column]) => {
      let value: unknown = (row as Record<string, unknown>)[name];
      if (value === undefined && column.default !== undefined) value = column.default;
      const literal = is(value, SQL)
        ? value
        : value === undefined || value === null
          ? sql`null`
          : sql`${column.mapToDriverValue(value)}`;
      return [name, literal.as(column.name)];
    }),
  );
  // A WHERE is always written: SQLite needs one before a later ON CONFLICT clause.
  return db.insert(table).select(
    db
      .select(values)
      .from(from)
      .where(where ?? sql`1`) as never,
  );
}
