/**
 * Accounts and keys for the benchmark, written straight into a gateway's D1
 * in multi-row inserts (no admin API call per key), so 10,000 keys take seconds.
 * Each key is issued as the gateway issues it: its prefix is the MAC of its
 * random part under KEY_PREFIX_SECRET (`issueKey`), its secret stored as
 * HMAC-SHA-256 under KEY_PEPPER (`hmacHex`), with the bench's development
 * secrets (workers.ts), so the gateway verifies them like any issued key.
 */
import { drizzle } from "drizzle-orm/d1";
import type { Miniflare } from "miniflare";
import { parseConfig } from "../src/config.ts";
import { hmacHex } from "../src/crypto.ts";
import * as schema from "../src/db/schema.ts";
import { type Account, accounts, apiKeys } from "../src/db/schema.ts";
import { newId } from "../src/ids.ts";
import { issueKey } from "../src/keys/issue.ts";
import { BENCH_SECRETS } from "./workers.ts";

/** Every key's own rate limit: far out of reach of any run. */
export const KEY_LIMIT = { rateLimitLimit: 1_000_000, rateLimitWindowSeconds: 60 };

/** Account columns a scenario sets (shared rate limit, quota, …). */
export type AccountColumns = Partial<Omit<Account, "id" | "name" | "createdAt" | "updatedAt">>;

export interface SeedSpec {
  keys: number;
  keysPerAccount: number;
  account?: AccountColumns;
  /** Columns of key `i` beyond the defaults (its restrictions, its mode…). */
  key?: (i: number) => Partial<typeof apiKeys.$inferInsert>;
}

const config = parseConfig({ ENVIRONMENT: "development", UPSTREAM_URL: "http://127.0.0.1", ...BENCH_SECRETS });
/** Rows per INSERT: one statement, one round trip through Miniflare's proxy, well under D1's 100 KB per statement. */
const CHUNK = 200;

/** A bound value as an SQL literal (ids, names, hashes, JSON and numbers: all the bench writes). */
function literal(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value === "boolean") return value ? "1" : "0";
  return `'${String(value).replaceAll("'", "''")}'`;
}

/**
 * Runs a drizzle statement with its parameters written in: D1 allows 100
 * bound parameters per statement, which would mean 6 keys per round trip.
 */
async function runInlined(d1: D1Proxy, query: { toSQL(): { sql: string; params: unknown[] } }): Promise<void> {
  const { sql, params } = query.toSQL();
  const parts = sql.split("?");
  if (parts.length !== params.length + 1) throw new Error("unexpected placeholder in generated SQL");
  await d1.prepare(parts.reduce((text, part, i) => text + literal(params[i - 1]) + part)).run();
}

type D1Proxy = Awaited<ReturnType<Miniflare["getD1Database"]>>;

export interface Seeded {
  /** The full keys; key i belongs to account ⌊i / keysPerAccount⌋. */
  keys: string[];
  keyIds: string[];
  accountIds: string[];
}

/** Creates `spec.keys` keys in accounts of `spec.keysPerAccount` keys each. */
export async function seedKeys(mf: Miniflare, spec: SeedSpec, workerName?: string): Promise<Seeded> {
  const d1 = await mf.getD1Database("DB", workerName);
  const now = new Date();
  // Insert shapes: columns the bench does not set take their schema defaults (null for most).
  const accountRows: Array<typeof accounts.$inferInsert> = [];
  const keyRows: Array<typeof apiKeys.$inferInsert> = [];
  const keys: string[] = [];
  for (let i = 0; i < spec.keys; i++) {
    if (i % spec.keysPerAccount === 0) {
      accountRows.push({
        id: newId("acct"),
        name: `Bench ${accountRows.length + 1}`,
        disabled: false,
        ...spec.account,
        createdAt: now,
        updatedAt: now,
      });
    }
    const { key, prefix, secret } = await issueKey(config);
    keys.push(key);
    keyRows.push({
      id: newId("key"),
      accountId: (accountRows[accountRows.length - 1] as { id: string }).id,
      name: `bench ${i + 1}`,
      prefix,
      secretHash: await hmacHex(config.KEY_PEPPER, secret),
      pepperVersion: config.KEY_PEPPER_VERSION,
      scopes: ["*"],
      ...KEY_LIMIT,
      ...spec.key?.(i),
      createdAt: now,
      updatedAt: now,
    });
  }
  // Drizzle builds the SQL from the schema (so the bench follows its columns); it never runs it here.
  const db = drizzle(d1 as never, { schema });
  for (let i = 0; i < accountRows.length; i += CHUNK) {
    await runInlined(d1, db.insert(accounts).values(accountRows.slice(i, i + CHUNK)));
  }
  for (let i = 0; i < keyRows.length; i += CHUNK) {
    await runInlined(d1, db.insert(apiKeys).values(keyRows.slice(i, i + CHUNK)));
  }
  return { keys, keyIds: keyRows.map((k) => k.id), accountIds: accountRows.map((a) => a.id) };
}
