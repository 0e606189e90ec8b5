/**
 * Rolling an account's usage up to D1: every usage row and every last-use
 * time of the rollup in one D1 batch of two statements per 500 rows,
 * whatever the number of keys, so one database carries a million active
 * keys (docs/cost.md). The rows travel as one JSON parameter, expanded by
 * `json_each` (D1 binds at most 100 parameters per statement). Plain SQL on
 * the D1 binding: Drizzle has no builder for an insert from `json_each`.
 *
 * Safe to repeat: each row holds absolute counts and the upsert only ever
 * raises them (`max(stored, rolled)`); a last use only moves forward.
 */
import { USAGE_FIELDS, type UsageRow } from "./usage";

/** Rows per statement: well under D1's statement and parameter size limits. */
const CHUNK = 500;

const COLUMNS: Record<(typeof USAGE_FIELDS)[number], string> = {
  admitted: "admitted",
  rateLimited: "rate_limited",
  quotaExceeded: "quota_exceeded",
  forbidden: "forbidden",
  origin2xx: "origin_2xx",
  origin3xx: "origin_3xx",
  origin4xx: "origin_4xx",
  origin5xx: "origin_5xx",
  originFailed: "origin_failed",
};

const columns = USAGE_FIELDS.map((field) => COLUMNS[field]).join(", ");
const values = USAGE_FIELDS.map((field) => `json_extract(j.value, '$.${field}')`).join(", ");
const raise = USAGE_FIELDS.map(
  (field) => `${COLUMNS[field]} = max(${COLUMNS[field]}, excluded.${COLUMNS[field]})`,
).join(", ");

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

const UPSERT = `INSERT INTO usage_hours (key_id, account_id, hour, ${columns})
  SELECT json_extract(j.value, '$.keyId'), ?1, json_extract(j.value, '$.hour'), ${values}
  FROM json_each(?2) AS j WHERE true
  ON CONFLICT (key_id, hour) DO UPDATE SET ${raise}`;
// "WHERE true" above keeps SQLite from reading ON CONFLICT as part of the SELECT's join.

const LAST_USED = `UPDATE api_keys
  SET last_used_at = max(coalesce(api_keys.last_used_at, 0), json_extract(j.value, '$.at'))
  FROM json_each(?2) AS j
  WHERE api_keys.id = json_extract(j.value, '$.keyId') AND api_keys.account_id = ?1`;

/** What a rollup needs of a D1 binding (the Worker's, or the benchmark's through Miniflare). */
export interface RollupTarget<Statement = unknown> {
  prepare(query: string): { bind(...values: unknown[]): Statement };
  batch(statements: Statement[]): Promise<unknown>;
}

/** The statements that roll `rows` and `lastUsed` up for `accountId`. */
export function rollupStatements<S>(
  d1: RollupTarget<S>,
  accountId: string,
  rows: UsageRow[],
  lastUsed: Array<{ keyId: string; at: number }>,
): S[] {
  return [
    ...chunks(rows).map((chunk) => d1.prepare(UPSERT).bind(accountId, JSON.stringify(chunk))),
    ...chunks(lastUsed).map((chunk) => d1.prepare(LAST_USED).bind(accountId, JSON.stringify(chunk))),
  ];
}

/** Writes rows and last-use times to D1 in one batch (one transaction); returns the number of statements. */
export async function rollUp<S>(
  d1: RollupTarget<S>,
  accountId: string,
  rows: UsageRow[],
  lastUsed: Array<{ keyId: string; at: number }>,
): Promise<number> {
  const statements = rollupStatements(d1, accountId, rows, lastUsed);
  if (statements.length > 0) await d1.batch(statements);
  return statements.length;
}
