/**
 * The admin API's request and response shapes (CONTRACT §4), as zod schemas
 * that both validate requests and describe them in the OpenAPI document,
 * plus the functions that turn rows into response bodies (never a secret or
 * a hash).
 */
import { z } from "@hono/zod-openapi";
import { quotaOf, rateLimitOf } from "../db/limits";
import type { Account, ApiKey, User } from "../db/schema";
import { KEY_MODES } from "../keys/mode";
import { expiryRule, nameRule } from "../keys/rules";
import { SCOPE_PATTERN } from "../keys/scopes";
import { allowedIpsRule, allowedSenderDomainsRule, MAX_ALLOWED_IPS, MAX_SENDER_DOMAINS } from "../restrictions/rules";

const MAX_GRACE_SECONDS = 30 * 86_400;

export const RateLimitSchema = z
  .strictObject({
    limit: z.number().int().min(1).max(1_000_000),
    windowSeconds: z.number().int().min(1).max(86_400),
  })
  .openapi("RateLimit", { example: { limit: 100, windowSeconds: 60 } });

// One home for the name and expiry rules, shared with the dashboard's forms (the API's words here).
const Name = nameRule("api");

/** ISO-8601 (a date-time with offset, or a date, read as midnight UTC), strictly in the future. */
export const FutureDate = expiryRule("api").openapi({
  type: "string",
  format: "date-time",
  example: "2027-01-01T00:00:00Z",
});

const Scopes = z
  .array(z.string().regex(SCOPE_PATTERN, 'must be "*" or "{resource}:read" / "{resource}:write"'))
  .min(1, "must list at least one scope")
  .max(50)
  .refine((scopes) => new Set(scopes).size === scopes.length, "must not repeat a scope")
  .openapi({ example: ["domains:read", "messages:write"] });

/** A restriction list as the OpenAPI document shows it (its rule transforms, so the shape is spelled out). */
const restrictionList = <T extends z.ZodType>(rule: T, maxItems: number, description: string, example: string[]) =>
  rule.openapi({ type: ["array", "null"], items: { type: "string" }, minItems: 1, maxItems, description, example });

// The restriction rules are shared with the dashboard's forms too (CONTRACT §8; the API's words here).
const AllowedIps = restrictionList(
  allowedIpsRule("api"),
  MAX_ALLOWED_IPS,
  "The IPv4/IPv6 addresses and CIDR ranges the key may be used from (the client address is `CF-Connecting-IP`); null: any. Stored and returned in canonical form (IPv6 compressed and lowercase, `/32` and `/128` dropped, an IPv4-mapped IPv6 address as IPv4); a range with host bits set is refused, and a repeated entry kept once.",
  ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"],
);

const AllowedSenderDomains = restrictionList(
  allowedSenderDomainsRule("api"),
  MAX_SENDER_DOMAINS,
  "The domains the key may send from on a sending route (SENDING_ROUTES): each message's `from` must be at one of them or a subdomain; null: any. Stored and returned lowercase, without a trailing dot, an international name in Punycode (`bücher.example` is `xn--bcher-kva.example`).",
  ["acme.test", "xn--bcher-kva.example"],
);

const Mode = z.enum(KEY_MODES, { error: 'must be "live" or "test"' }).openapi({
  description:
    "`live` (the default) or `test`, fixed at creation: a test key's requests go to the sandbox origin (SANDBOX_UPSTREAM_URL, when set) with `X-MoMail-Mode: test`, and never count against the account's quota.",
  example: "test",
});

export const AccountIdParam = z.object({
  accountId: z.string().openapi({ param: { name: "accountId", in: "path" }, example: "acct_3hVq0kq7mXbE2bP9vU1w" }),
});
export const UserIdParams = AccountIdParam.extend({
  userId: z.string().openapi({ param: { name: "userId", in: "path" }, example: "usr_5Gk1bVq8Lr2nT0xZc3Wp" }),
});
export const KeyIdParams = AccountIdParam.extend({
  keyId: z.string().openapi({ param: { name: "keyId", in: "path" }, example: "key_7Jf2c1XqPz0sY4mWn8Rt" }),
});

export const QuotaSchema = z
  .strictObject({
    limit: z.number().int().min(1).max(1_000_000_000),
    period: z.enum(["day", "month"], { error: 'must be "day" or "month"' }),
  })
  .openapi("Quota", {
    description: "Units per calendar period (UTC): `day` from 00:00, `month` from the 1st at 00:00.",
    example: { limit: 100_000, period: "month" },
  });

const MaxKeys = z.number().int().min(1).max(100_000);

export const CreateAccountBody = z.strictObject({
  name: Name,
  rateLimit: RateLimitSchema.nullish(),
  sharedRateLimit: RateLimitSchema.nullish(),
  quota: QuotaSchema.nullish(),
  maxKeys: MaxKeys.nullish(),
});
export const UpdateAccountBody = z.strictObject({
  name: Name.optional(),
  rateLimit: RateLimitSchema.nullable().optional(),
  sharedRateLimit: RateLimitSchema.nullable().optional(),
  quota: QuotaSchema.nullable().optional(),
  maxKeys: MaxKeys.nullable().optional(),
  disabled: z.boolean().optional(),
  webhookUrl: z.string().max(2048, "must be at most 2048 characters").nullable().optional().openapi({
    format: "uri",
    description:
      "Where the account's webhooks are POSTed: an https:// URL to a public host (null stops them). Setting it returns a new `webhookSecret`, once.",
    example: "https://hooks.acme.test/momail",
  }),
});
const Password = z
  .string()
  .min(8, "must be at least 8 characters")
  .max(256, "must be at most 256 characters")
  .openapi({ format: "password" });

export const CreateUserBody = z.strictObject({
  email: z.email("must be an email address").max(254),
  password: Password,
});
export const SetPasswordBody = z.strictObject({ password: Password });
export const CreateKeyBody = z.strictObject({
  name: Name,
  expiresAt: FutureDate.nullish(),
  scopes: Scopes.optional(),
  rateLimit: RateLimitSchema.nullish(),
  mode: Mode.optional(),
  allowedIps: AllowedIps.nullish(),
  allowedSenderDomains: AllowedSenderDomains.nullish(),
});
export const UpdateKeyBody = z.strictObject({
  name: Name.optional(),
  expiresAt: FutureDate.nullable().optional(),
  scopes: Scopes.optional(),
  rateLimit: RateLimitSchema.nullable().optional(),
  allowedIps: AllowedIps.nullable().optional(),
  allowedSenderDomains: AllowedSenderDomains.nullable().optional(),
  // Named, so that a PATCH with it says why rather than "not a known field".
  mode: z
    .unknown()
    .refine(() => false, "cannot be changed: a key's mode is fixed when it is created (create a test key instead)")
    .optional()
    .openapi({ description: "Not accepted: a key's mode is fixed when it is created." }),
});
export const RotateKeyBody = z.strictObject({
  gracePeriodSeconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional(),
});

const iso = (date: Date | null) => (date ? date.toISOString() : null);

export const AccountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    rateLimit: RateLimitSchema.nullable(),
    sharedRateLimit: RateLimitSchema.nullable(),
    quota: QuotaSchema.nullable(),
    maxKeys: z.number(),
    disabled: z.boolean(),
    createdAt: z.string(),
  })
  .openapi("Account");

const WebhookUrl = z.string().nullable().openapi({ description: "Where webhooks go; null: none." });

export const UpdatedAccountSchema = AccountSchema.extend({
  webhookUrl: WebhookUrl,
  webhookSecret: z.string().optional().openapi({
    description:
      "Only when this call set a new `webhookUrl`: the secret (`whsec_` + base64 of 32 random bytes) that signs the account's webhooks (MoMail-Signature and the Standard Webhooks headers). It is never shown again.",
  }),
}).openapi("UpdatedAccount");

export const RolledWebhookSecretSchema = z
  .object({
    webhookSecret: z.string().openapi({
      description:
        "The new secret (`whsec_` + base64 of 32 random bytes) that signs the account's webhooks: MoMail-Signature with the whole string, the Standard Webhooks `webhook-signature` with the bytes it encodes. Shown only in this response; the previous secret keeps signing beside it for 24 hours.",
      example: "whsec_kzS0b6P9mZ1y2rj3Qq0x8J5dGk7l4tW1vYcA2eHnRfU=",
    }),
  })
  .openapi("RolledWebhookSecret");

export const AccountWithUsageSchema = AccountSchema.extend({
  webhookUrl: WebhookUrl,
  quotaUsage: z
    .object({ used: z.number(), resetAt: z.string() })
    .nullable()
    .openapi({ description: "Units used in the current quota period, and when it resets; null without a quota." }),
}).openapi("AccountWithUsage");

export const UserSchema = z
  .object({ id: z.string(), accountId: z.string(), email: z.string(), createdAt: z.string() })
  .openapi("User");

export const KeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    scopes: z.array(z.string()),
    rateLimit: RateLimitSchema.nullable(),
    mode: z.enum(KEY_MODES),
    allowedIps: z.array(z.string()).nullable().openapi({ description: "Canonical addresses and ranges; null: any." }),
    allowedSenderDomains: z
      .array(z.string())
      .nullable()
      .openapi({ description: "Canonical domains (lowercase, Punycode); null: any." }),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    leakedAt: z
      .string()
      .nullable()
      .openapi({ description: "When a leak of this key was reported (secret scanning); null if never." }),
  })
  .openapi("Key");

export const CreatedKeySchema = KeySchema.omit({ lastUsedAt: true, leakedAt: true })
  .extend({ key: z.string().openapi({ description: "The full key. Shown only in this response." }) })
  .openapi("CreatedKey");

/** An account as the API shows it; `defaultMaxKeys` is MAX_KEYS_PER_ACCOUNT, for accounts without their own cap. */
export function accountView(account: Account, defaultMaxKeys: number) {
  return {
    id: account.id,
    name: account.name,
    rateLimit: rateLimitOf(account.rateLimitLimit, account.rateLimitWindowSeconds),
    sharedRateLimit: rateLimitOf(account.sharedRateLimitLimit, account.sharedRateLimitWindowSeconds),
    quota: quotaOf(account.quotaLimit, account.quotaPeriod),
    maxKeys: account.maxKeys ?? defaultMaxKeys,
    disabled: account.disabled,
    createdAt: account.createdAt.toISOString(),
  };
}

export function userView(user: User) {
  return { id: user.id, accountId: user.accountId, email: user.email, createdAt: user.createdAt.toISOString() };
}

export function keyView(key: ApiKey) {
  return {
    id: key.id,
    name: key.name,
    prefix: key.prefix,
    scopes: key.scopes,
    rateLimit: rateLimitOf(key.rateLimitLimit, key.rateLimitWindowSeconds),
    mode: key.mode,
    allowedIps: key.allowedIps,
    allowedSenderDomains: key.allowedSenderDomains,
    createdAt: key.createdAt.toISOString(),
    expiresAt: iso(key.expiresAt),
    lastUsedAt: iso(key.lastUsedAt),
    leakedAt: iso(key.leakedAt),
  };
}

export function createdKeyView(key: ApiKey, fullKey: string) {
  const { lastUsedAt: _unused, leakedAt: _new, ...view } = keyView(key);
  return { ...view, key: fullKey };
}

/** `{"success": true, "data": …}` */
export const envelope = <T extends z.ZodType>(data: T) => z.object({ success: z.literal(true), data });

export const ErrorEnvelope = z
  .object({ success: z.literal(false), error: z.object({ code: z.string(), message: z.string() }) })
  .openapi("Error");

/** A JSON body or response in a route definition. */
export const json = <T>(schema: T) => ({ content: { "application/json": { schema } } });

/** The error responses every admin route may give. */
export const errorResponses = (notFound: string) => ({
  400: { description: "Invalid input; the message names the field", ...json(ErrorEnvelope) },
  401: { description: "Missing or wrong admin token", ...json(ErrorEnvelope) },
  404: { description: notFound, ...json(ErrorEnvelope) },
});
