/**
 * The D1 schema, the source of truth. drizzle-kit generates the migrations in
 * `drizzle/` from this file (`npm run db:generate`). Timestamps are epoch
 * milliseconds; ids are prefixed (`acct_`, `usr_`, `key_`, `ses_`, `aud_`, `evt_`) so a
 * stray id in a log says what it is.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const timestamps = {
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
};

export const accounts = sqliteTable(
  "accounts",
  {
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
    /** Where the account's webhooks are POSTed; null = no webhooks. */
    webhookUrl: text("webhook_url"),
    /** The webhooks' signing secret, encrypted (AES-GCM under a key derived from the pepper: src/webhooks/secret.ts). */
    webhookSecret: text("webhook_secret"),
    /**
     * The secret a roll replaced, sealed the same way: it signs beside the
     * current one until `previousWebhookSecretExpiresAt`, then is forgotten
     * (src/webhooks/rolling.ts); null when there is none.
     */
    previousWebhookSecret: text("previous_webhook_secret"),
    previousWebhookSecretExpiresAt: integer("previous_webhook_secret_expires_at", { mode: "timestamp_ms" }),
    ...timestamps,
  },
  // The cron job's look-up of rolled secrets past their 24 hours reads only those rows.
  (t) => [index("accounts_previous_webhook_secret_idx").on(t.previousWebhookSecretExpiresAt)],
);

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
    /** When a leak of this key was first reported (secret scanning); never cleared. */
    leakedAt: integer("leaked_at", { mode: "timestamp_ms" }),
    /**
     * When a leaked key was deleted (its mark dismissed): the dashboard lists a
     * key that a leak report revoked, marked, until then.
     */
    leakDismissedAt: integer("leak_dismissed_at", { mode: "timestamp_ms" }),
    /** The last key.expiring notice sent for the current expiry, in days before it (7, then 1); null: none yet. */
    expiryNotice: integer("expiry_notice"),
    /**
     * `live` or `test` (CONTRACT §8), fixed at creation: a test key's requests
     * go to SANDBOX_UPSTREAM_URL when it is set, and never count against the quota.
     */
    mode: text("mode", { enum: ["live", "test"] })
      .notNull()
      .default("live"),
    /** The addresses and CIDR ranges the key may be used from, canonical (restrictions/ip.ts); null: any. */
    allowedIps: text("allowed_ips", { mode: "json" }).$type<string[]>(),
    /** The domains (and their subdomains) it may send from, canonical: lowercase Punycode (restrictions/domains.ts); null: any. */
    allowedSenderDomains: text("allowed_sender_domains", { mode: "json" }).$type<string[]>(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("api_keys_prefix_unique").on(t.prefix),
    index("api_keys_account_active_idx").on(t.accountId, t.revokedAt, t.createdAt),
    index("api_keys_expires_idx").on(t.expiresAt),
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

/**
 * A new key, or a new webhook signing secret, waiting to be shown once on the
 * dashboard (Post/Redirect/Get): AES-GCM ciphertext under a key derived from
 * the session's token, which only the browser's cookie holds, so this row
 * alone cannot reveal it. Deleted when shown, when it expires (minutes), or
 * with its session.
 */
export const keyReveals = sqliteTable(
  "key_reveals",
  {
    id: text("id").primaryKey(),
    sessionId: text("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    /** What is shown: a new API key, or an account's new webhook signing secret. */
    kind: text("kind", { enum: ["key", "webhook_secret"] })
      .notNull()
      .default("key"),
    /** The key shown (for a webhook secret: the account whose secret it is). */
    keyId: text("key_id").notNull(),
    /** For a rolled key: the key it replaces. */
    replacesKeyId: text("replaces_key_id"),
    /** base64url of IV (12 bytes) + AES-GCM ciphertext of the full key. */
    sealed: text("sealed").notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (t) => [index("key_reveals_session_idx").on(t.sessionId), index("key_reveals_expires_idx").on(t.expiresAt)],
);

/** Dashboard login attempts of the last window, for throttling (src/dashboard/auth/throttle.ts). */
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

/** Who made an audited change (CONTRACT §4). */
export type Actor = { type: "admin" } | { type: "user"; email: string } | { type: "system"; reason: string };

/**
 * The audit log: one row per successful write of the admin API or the
 * dashboard, written in the same D1 batch as the write (src/audit). `seq`
 * orders the log and is the pagination cursor: a later insert always has a
 * higher one, so pages stay stable. Never a key, secret, password or hash.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    accountId: text("account_id").notNull(),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
    actor: text("actor", { mode: "json" }).$type<Actor>().notNull(),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id").notNull(),
    /** The client's address (CF-Connecting-IP), or null when there is no client (the cron job). */
    ip: text("ip"),
    /** What else the entry says, e.g. a leak report's url and source. */
    details: text("details", { mode: "json" }).$type<Record<string, string | null>>(),
  },
  (t) => [
    uniqueIndex("audit_log_id_unique").on(t.id),
    index("audit_log_account_idx").on(t.accountId, t.seq),
    index("audit_log_at_idx").on(t.at),
  ],
);

/**
 * Webhook events and their delivery (src/webhooks): written as `pending` in
 * the same batch as the change that caused the event, then updated by the
 * queue consumer after each attempt. `event` is the exact JSON body sent.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    eventId: text("event_id").primaryKey(),
    accountId: text("account_id").notNull(),
    type: text("type").notNull(),
    event: text("event").notNull(),
    status: text("status", { enum: ["pending", "retrying", "delivered", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    /** The receiver's last HTTP status, null if it never answered. */
    lastStatusCode: integer("last_status_code"),
    /** Why the last attempt failed ("HTTP 500", "timeout", …), null after a success. */
    lastError: text("last_error"),
    deliveredAt: integer("delivered_at", { mode: "timestamp_ms" }),
    ...timestamps,
  },
  (t) => [
    index("webhook_deliveries_account_idx").on(t.accountId, t.createdAt),
    index("webhook_deliveries_status_idx").on(t.status, t.createdAt),
  ],
);

export type Account = typeof accounts.$inferSelect;
export type User = typeof users.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
export type AuditRow = typeof auditLog.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
export type KeyReveal = typeof keyReveals.$inferSelect;
