import { availableParallelism } from "node:os";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";
import { ORIGIN_SECRET } from "./test/support/origin-secret.ts";

/** Pure logic, tested in Node: any test file named `*.unit.test.ts`, wherever it sits under test/. */
const UNIT = "test/**/*.unit.test.ts";

// Three projects, one after the other (sequence.groupOrder), each running
// several files at a time (maxWorkers; docs/testing.md):
// - "unit": pure modules in Node, no workerd; `cloudflare:workers` is a stand-in.
// - "workers": inside workerd against real D1, KV and Durable Objects, with the
//   migrations drizzle-kit generated (the same SQL `wrangler d1 migrations
//   apply` runs); the origin is a real Node HTTP server started in globalSetup.
//   Its files share workerd runners (isolate: false), so they share a runner's
//   storage and the isolate's module state: each test makes the accounts and
//   keys it uses, and test/support/background.ts lets no file's background
//   work outlive it.
// - "edge": several gateway isolates in one workerd behind a router, as the edge runs
//   them, for the promises that hold across isolates (test/edge).
// - "e2e": Node tests that drive a real browser and `wrangler dev` (test/e2e).
export default defineConfig(async () => {
  const migrations = await readD1Migrations("./drizzle");
  return {
    test: {
      // The gateway logs a JSON line per request: show logs only for failing tests (a root option:
      // the reporter reads it from here, not from a project).
      silent: "passed-only" as const,
      // At least two files at a time, even on 2 CPUs: most workers and e2e files wait on time
      // (rate-limit windows, leases, queues, `wrangler dev`, a browser) more than on the CPU, and
      // two halve the run there. The same for every project (vitest requires it when a
      // --sequence flag puts them all in one group).
      maxWorkers: Math.max(2, availableParallelism() - 1),
      projects: [
        {
          test: {
            name: "unit",
            include: [UNIT],
            environment: "node",
            // Pure tests share one Node worker; they hold no state between files.
            isolate: false,
            alias: {
              "cloudflare:workers": new URL("./test/support/unit/cloudflare-workers.ts", import.meta.url).pathname,
            },
            sequence: { groupOrder: 0 },
          },
        },
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
            exclude: [...configDefaults.exclude, UNIT],
            globalSetup: ["./test/support/global-setup.ts"],
            setupFiles: ["./test/support/apply-migrations.ts", "./test/support/background.ts"],
            // A workerd runner for many files, not one per file: starting workerd and applying
            // the migrations cost about 3 s a file, half of the suite's time.
            isolate: false,
            testTimeout: 20_000,
            sequence: { groupOrder: 1 },
          },
        },
        {
          // Across isolates: the gateway as the edge runs it, several Workers (isolates) in one workerd
          // behind a router, sharing D1, KV, the account gates and a location's holders (test/edge).
          test: {
            name: "edge",
            include: ["test/edge/**/*.edge.ts"],
            environment: "node",
            globalSetup: ["./test/edge/support/global-setup.ts"],
            testTimeout: 60_000,
            hookTimeout: 60_000,
            sequence: { groupOrder: 2 },
          },
        },
        {
          // End-to-end: Node drives Chromium against the gateway under `wrangler dev` (test/e2e/support).
          test: {
            name: "e2e",
            include: ["test/e2e/**/*.e2e.ts"],
            environment: "node",
            // One gateway under `wrangler dev` for the files that can share it (test/e2e/support/stack.ts).
            globalSetup: ["./test/e2e/support/global-setup.ts"],
            testTimeout: 120_000,
            hookTimeout: 120_000,
            // Last: its gateway starts in the background meanwhile, and its browser and `wrangler dev`
            // processes do not compete with the workers files' timings.
            sequence: { groupOrder: 2 },
          },
        },
      ],
    },
  };
});
