/**
 * The D1 schema, the source of truth. drizzle-kit generates the migrations in
 * `drizzle/` from this file (`npm run db:generate`). Timestamps are epoch
 * milliseconds; ids are prefixed (`acct_`, `usr_`, `key_`, `ses_`) so a
 * stray id in a log says what it is.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const timestamps = {
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
};

export const accounts = sqliteTable("accounts", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  /** The account's default limit for keys without their own; null = gateway default. */
  rateLimitLimit: integer("rate_limit_limit"),
  rateLimitWindowSeconds: integer("rate_limit_window_seconds"),
  /** One budget for all of the account's keys together; null = none. */
  sharedRateLimitLimit: integer("shared_rate_limit_limit"),
  sharedRateLimitWindowSeconds: integer("shared_rate_limit_window_seconds"),
  /** Units per calendar period (UTC); null = no quota. */
  quotaLimit: integer("quota_limit"),
  quotaPeriod: text("quota_period", { enum: ["day", "month"] }),
  /** Most live keys the account may hold; null = MAX_KEYS_PER_ACCOUNT. */
  maxKeys: integer("max_keys"),
  disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
  ...timestamps,
});

export const users = sqliteTable(
  "users",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    /** Stored lowercased, so uniqueness is case-insensitive. */
    email: text("email").notNull(),
    passwordHash: text("password_hash").notNull(),
    ...timestamps,
  },
  (t) => [uniqueIndex("users_email_unique").on(t.email), index("users_account_idx").on(t.accountId)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    name: text("name").notNull(),
    /** The public 8-char prefix: the lookup key of every request. */
    prefix: text("prefix").notNull(),
    /** HMAC-SHA-256 of the secret under the pepper of `pepperVersion`, hex. */
    secretHash: text("secret_hash").notNull(),
    pepperVersion: integer("pepper_version").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull().default(sql`'["*"]'`),
    rateLimitLimit: integer("rate_limit_limit"),
    rateLimitWindowSeconds: integer("rate_limit_window_seconds"),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
    /** When a rotation replaced this key: its expiry (the end of the grace period) is then final. */
    rotatedAt: integer("rotated_at", { mode: "timestamp_ms" }),
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("api_keys_prefix_unique").on(t.prefix),
    index("api_keys_account_active_idx").on(t.accountId, t.revokedAt, t.createdAt),
  ],
);

/** Dashboard sessions. The token lives only in the user's cookie; D1 holds its SHA-256. */
export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    /** SHA-256 of the session token, hex: a leaked table lets no one in. */
    tokenHash: text("token_hash").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id),
    accountId: text("account_id")
      .notNull()
      .references(() => accounts.id),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    uniqueIndex("sessions_token_hash_unique").on(t.tokenHash),
    index("sessions_user_idx").on(t.userId),
    index("sessions_expires_idx").on(t.expiresAt),
  ],
);

/** Dashboard login attempts of the last window, for throttling (src/dashboard/throttle.ts). */
export const loginAttempts = sqliteTable(
  "login_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** As typed, trimmed and lowercased (it may name no user). */
    email: text("email").notNull(),
    /** The client's address; IPv6 reduced to its /64. */
    ip: text("ip").notNull(),
    /** The trusted-device id of a browser that logged in as this email before; null for any other client. */
    device: text("device"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [
    index("login_attempts_email_idx").on(t.email, t.createdAt),
    index("login_attempts_ip_idx").on(t.ip, t.createdAt),
    index("login_attempts_device_idx").on(t.device, t.createdAt),
    index("login_attempts_created_idx").on(t.createdAt),
  ],
);

/**
 * Exact usage per key and UTC hour, rolled up from the account's gate (its
 * Durable Object counts every decision). Each row holds absolute counts, and
 * a rollup only ever raises them (max), so a retried rollup writes nothing twice.
 */
export const usageHours = sqliteTable(
  "usage_hours",
  {
    keyId: text("key_id").notNull(),
    accountId: text("account_id").notNull(),
    /** Start of the UTC hour, epoch ms. */
    hour: integer("hour").notNull(),
    admitted: integer("admitted").notNull().default(0),
    rateLimited: integer("rate_limited").notNull().default(0),
    quotaExceeded: integer("quota_exceeded").notNull().default(0),
    forbidden: integer("forbidden").notNull().default(0),
    origin2xx: integer("origin_2xx").notNull().default(0),
    origin3xx: integer("origin_3xx").notNull().default(0),
    origin4xx: integer("origin_4xx").notNull().default(0),
    origin5xx: integer("origin_5xx").notNull().default(0),
    originFailed: integer("origin_failed").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.hour] }), index("usage_hours_account_idx").on(t.accountId, t.hour)],
);

export type Account = typeof accounts.$inferSelect;
export type User = typeof users.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type Session = typeof sessions.$inferSelect;
