/**
 * The one internal of @cloudflare/vitest-plugin the tests use
 * (test/support/background.ts): the registry of every `waitUntil` promise
 * the runtime saw, which the plugin's own `waitOnExecutionContext` drains
 * for one context. If the plugin drops it, that import fails at once.
 */
declare module "cloudflare:test-internal" {
  /** Waits, batch by batch, until every registered `waitUntil` promise has settled (30 s at most per batch). */
  export function waitForGlobalWaitUntil(): Promise<void>;
}
