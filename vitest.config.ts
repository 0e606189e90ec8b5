import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { ORIGIN_SECRET } from "./test/support/origin-secret.ts";

// Two projects. "workers": tests run inside workerd against real D1, KV and
// Durable Objects, with the migrations drizzle-kit generated (the same SQL
// `wrangler d1 migrations apply` runs); the origin is a real Node HTTP server
// started in globalSetup. "e2e": Node tests that drive a real browser against
// the gateway under `wrangler dev` (test/e2e).
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./drizzle");
  return {
    test: {
      projects: [
        {
          plugins: [
            cloudflareTest(({ inject }) => ({
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  TEST_MIGRATIONS: migrations,
                  ADMIN_TOKEN: "test-admin-token",
                  // A real (non dev-only, 32+ characters) secret: the shipped verifier refuses the dev default.
                  ORIGIN_SIGNING_SECRET: ORIGIN_SECRET,
                  UPSTREAM_URL: `http://127.0.0.1:${inject<number>("originPort")}`,
                  ORIGIN_PORT: String(inject<number>("originPort")),
                  DEMO_ORIGIN_PORT: String(inject<number>("demoOriginPort")),
                  WEBHOOK_RECEIVER_PORT: String(inject<number>("webhookReceiverPort")),
                  GITHUB_KEYS_PORT: String(inject<number>("githubKeysPort")),
                  GITHUB_SECRET_SCANNING_KEYS_URL: `http://127.0.0.1:${inject<number>("githubKeysPort")}/meta/public_keys/secret_scanning`,
                },
              },
            })),
          ],
          test: {
            name: "workers",
            include: ["test/**/*.test.ts"],
            globalSetup: ["./test/support/global-setup.ts"],
            setupFiles: ["./test/support/apply-migrations.ts"],
            testTimeout: 20_000,
            // The gateway logs a JSON line per request; show logs only for failing tests.
            silent: "passed-only" as const,
          },
        },
        {
          // End-to-end: Node drives Chromium against the gateway under `wrangler dev` (test/e2e/support).
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.e2e.ts"],
            environment: "node",
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});
