import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig } from "../../src/config";

const production = {
  ENVIRONMENT: "production",
  UPSTREAM_URL: "https://origin.momail.internal/",
  KEY_PEPPER: "p".repeat(40),
  KEY_PREFIX_SECRET: "k".repeat(40),
  ORIGIN_SIGNING_SECRET: "s".repeat(40),
  ADMIN_TOKEN: "a".repeat(40),
};

describe("parseConfig", () => {
  it("applies the documented defaults", () => {
    const config = parseConfig(production);
    expect(config).toMatchObject({
      UPSTREAM_URL: "https://origin.momail.internal",
      UPSTREAM_TIMEOUT_MS: 30_000,
      KV_READ_TIMEOUT_MS: 1_000,
      MAX_BODY_BYTES: 10_485_760,
      DEFAULT_RATE_LIMIT: { limit: 100, windowSeconds: 60 },
      RATE_LIMIT_FAIL_OPEN: false,
      KEY_PEPPER_VERSION: 1,
      IDEMPOTENCY_TTL_SECONDS: 86_400,
      IDEMPOTENCY_MAX_BYTES: 262_144,
      isDevelopment: false,
    });
    expect(config.peppers.get(1)).toBe(production.KEY_PEPPER);
  });

  it("reads DEFAULT_RATE_LIMIT as limit/windowSeconds", () => {
    expect(parseConfig({ ...production, DEFAULT_RATE_LIMIT: "1000/3600" }).DEFAULT_RATE_LIMIT).toEqual({
      limit: 1000,
      windowSeconds: 3600,
    });
    expect(parseConfig({ ...production, DEFAULT_RATE_LIMIT: "25" }).DEFAULT_RATE_LIMIT).toEqual({
      limit: 25,
      windowSeconds: 60,
    });
  });

  it("keeps retired peppers by version so old hashes still verify", () => {
    const config = parseConfig({
      ...production,
      KEY_PEPPER_VERSION: "3",
      KEY_PEPPERS_RETIRED: "1:first-pepper,2:second:pepper",
    });
    expect([...config.peppers.entries()]).toEqual([
      [1, "first-pepper"],
      [2, "second:pepper"],
      [3, production.KEY_PEPPER],
    ]);
  });

  it.each([
    ["UPSTREAM_URL", { UPSTREAM_URL: undefined }],
    ["UPSTREAM_URL", { UPSTREAM_URL: "ftp://origin" }],
    ["KEY_PEPPER", { KEY_PEPPER: undefined }],
    ["KEY_PREFIX_SECRET", { KEY_PREFIX_SECRET: undefined }],
    ["ORIGIN_SIGNING_SECRET", { ORIGIN_SIGNING_SECRET: "" }],
    ["MAX_BODY_BYTES", { MAX_BODY_BYTES: "ten megabytes" }],
    ["UPSTREAM_TIMEOUT_MS", { UPSTREAM_TIMEOUT_MS: "0" }],
    ["DEFAULT_RATE_LIMIT", { DEFAULT_RATE_LIMIT: "100 per minute" }],
    ["RATE_LIMIT_FAIL_OPEN", { RATE_LIMIT_FAIL_OPEN: "yes" }],
    ["UPSTREAM_ROUTES", { UPSTREAM_ROUTES: "{not json" }],
    ["UPSTREAM_ROUTES", { UPSTREAM_ROUTES: '{"messages": "not a url"}' }],
    ["ENVIRONMENT", { ENVIRONMENT: "staging-ish" }],
    ["IDEMPOTENCY_TTL_SECONDS", { IDEMPOTENCY_TTL_SECONDS: "59" }],
    ["IDEMPOTENCY_TTL_SECONDS", { IDEMPOTENCY_TTL_SECONDS: "604801" }],
    ["IDEMPOTENCY_MAX_BYTES", { IDEMPOTENCY_MAX_BYTES: "1048577" }],
  ])("names %s when it is missing or malformed", (name, override) => {
    expect(() => parseConfig({ ...production, ...override })).toThrow(ConfigError);
    expect(() => parseConfig({ ...production, ...override })).toThrow(new RegExp(`^Invalid configuration: .*${name}`));
  });

  it.each(["KEY_PEPPER", "KEY_PREFIX_SECRET", "ORIGIN_SIGNING_SECRET", "ADMIN_TOKEN"])(
    "refuses the development default of %s outside development",
    (name) => {
      const devValue = `dev-only-${name.toLowerCase()}-${"x".repeat(40)}`;
      expect(() => parseConfig({ ...production, [name]: devValue })).toThrow(
        new RegExp(`${name}: is a development-only default`),
      );
      expect(() => parseConfig({ ...production, ENVIRONMENT: undefined, [name]: devValue })).toThrow(ConfigError);
      expect(parseConfig({ ...production, ENVIRONMENT: "development", [name]: devValue }).isDevelopment).toBe(true);
    },
  );

  it("requires production secrets of at least 32 characters", () => {
    expect(() => parseConfig({ ...production, KEY_PEPPER: "short" })).toThrow(
      /KEY_PEPPER: must be at least 32 characters/,
    );
    expect(() => parseConfig({ ...production, KEY_PREFIX_SECRET: "short" })).toThrow(
      /KEY_PREFIX_SECRET: must be at least 32 characters/,
    );
  });

  it("lists the key-prefix secrets, current first, then the retired ones; refuses a dev-only retired one", () => {
    const config = parseConfig({ ...production, KEY_PREFIX_SECRETS_RETIRED: "old-one,older-one" });
    expect(config.prefixSecrets).toEqual([production.KEY_PREFIX_SECRET, "old-one", "older-one"]);
    expect(() => parseConfig({ ...production, KEY_PREFIX_SECRETS_RETIRED: "dev-only-key-prefix-secret" })).toThrow(
      /KEY_PREFIX_SECRETS_RETIRED: holds a development-only value/,
    );
  });

  it("treats a missing ENVIRONMENT as production", () => {
    expect(parseConfig({ ...production, ENVIRONMENT: undefined }).isDevelopment).toBe(false);
  });

  it("validates per-resource upstreams", () => {
    const config = parseConfig({ ...production, UPSTREAM_ROUTES: '{"messages": "https://messages.internal/"}' });
    expect(config.UPSTREAM_ROUTES).toEqual({ messages: "https://messages.internal" });
  });

  it("takes SANDBOX_UPSTREAM_URL as it takes UPSTREAM_URL, and leaves it unset by default", () => {
    expect(parseConfig(production).SANDBOX_UPSTREAM_URL).toBeUndefined();
    expect(parseConfig({ ...production, SANDBOX_UPSTREAM_URL: "https://sandbox.momail.internal/" })).toMatchObject({
      SANDBOX_UPSTREAM_URL: "https://sandbox.momail.internal",
    });
    expect(() => parseConfig({ ...production, SANDBOX_UPSTREAM_URL: "ftp://sandbox" })).toThrow(
      "SANDBOX_UPSTREAM_URL: must be an absolute http(s) URL",
    );
  });

  it("reads SENDING_ROUTES as routes are matched (default: POST /v1/emails and /v1/emails/batch)", () => {
    const byDefault = parseConfig(production);
    expect(byDefault.SENDING_ROUTES).toEqual(["POST /v1/emails", "POST /v1/emails/batch"]);
    expect(byDefault.SENDER_CHECK_MAX_BYTES).toBe(1_048_576);
    expect(byDefault.isSendingRoute("POST", "/v1/Emails.json")).toBe(true);
    expect(byDefault.isSendingRoute("post", "/v1/emails/batch/")).toBe(true);
    expect(byDefault.isSendingRoute("PUT", "/v1/emails")).toBe(false);
    expect(byDefault.isSendingRoute("POST", "/v1/emails/1")).toBe(false);
    const custom = parseConfig({ ...production, SENDING_ROUTES: '["post /v1/Messages", "* /v1/outbox"]' });
    expect(custom.isSendingRoute("POST", "/v1/messages")).toBe(true);
    expect(custom.isSendingRoute("PATCH", "/v1/outbox")).toBe(true);
    expect(custom.isSendingRoute("POST", "/v1/emails")).toBe(false);
    expect(() => parseConfig({ ...production, SENDING_ROUTES: "POST /v1/emails" })).toThrow(
      'SENDING_ROUTES: must be a JSON array of "METHOD /v1/path" routes',
    );
    expect(() => parseConfig({ ...production, SENDING_ROUTES: '["POST /emails", "*"]' })).toThrow(
      'SENDING_ROUTES: "POST /emails": must be "METHOD /v1/path"; SENDING_ROUTES: "*": must be "METHOD /v1/path"',
    );
    expect(() => parseConfig({ ...production, SENDER_CHECK_MAX_BYTES: "12" })).toThrow(/SENDER_CHECK_MAX_BYTES/);
  });
});
