/**
 * The origin signing secret of the workers tests: bound as the gateway's
 * ORIGIN_SIGNING_SECRET (vitest.config.ts) and verified by the test origin
 * and the demo origin (global-setup.ts). A real one (32+ characters, not
 * dev-only-), since the shipped verifier refuses the development default.
 * No imports, so vitest.config.ts can load it as is.
 */
export const ORIGIN_SECRET = "test-origin-signing-secret-not-for-production";
