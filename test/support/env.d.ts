declare namespace Cloudflare {
  interface Env {
    TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    ADMIN_TOKEN?: string;
    /** The port of the test origin server (test/support/origin-server.ts). */
    ORIGIN_PORT: string;
    /** The port of the demo origin (examples/origin/server.ts). */
    DEMO_ORIGIN_PORT: string;
    /** The port of the webhook receiver (test/support/webhook-receiver.ts). */
    WEBHOOK_RECEIVER_PORT: string;
    /** The port of the stand-in for GitHub's public keys (test/support/github-keys.ts). */
    GITHUB_KEYS_PORT: string;
    GITHUB_SECRET_SCANNING_KEYS_URL: string;
  }
}
