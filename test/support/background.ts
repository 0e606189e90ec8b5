/**
 * No test file's background work outlives it. The workers project runs every
 * file in one workerd (isolate: false), so what a file leaves running would
 * run during the next file, and a line it logs while vitest closes the file's
 * RPC fails the whole run, every test green ("EnvironmentTeardownError:
 * Closing rpc while "onUserConsoleLog" was pending", vitest-dev/vitest#11153).
 *
 * So, after each file's own hooks, two steps:
 * - wait for every `waitUntil` of the file: the runtime registers each
 *   promise a handler passes to `ctx.waitUntil` (requests through the
 *   Worker's `fetch`, `exports`, `SELF`, queue and scheduled handlers, and
 *   `createExecutionContext()` contexts), which is how the gateway leaves
 *   work behind (cache fills, lease refreshes and settlements, webhook sends);
 * - hold what is logged from then until the next file starts (a Durable
 *   Object's alarm or timer, a queue batch: work no test can await), and
 *   write it to that file's console then. Nothing is lost, and nothing
 *   crosses the RPC while it closes. (After the last file, nothing is shown.)
 *
 * A rejected `waitUntil` fails no test, as before: its error is logged with
 * the file's output (shown if the file fails).
 */
import { waitForGlobalWaitUntil } from "cloudflare:test-internal";
import { afterAll } from "vitest";

const METHODS = ["log", "info", "warn", "error", "debug"] as const;
type Method = (typeof METHODS)[number];

interface Holding {
  console: Console;
  originals: Record<Method, Console[Method]>;
  lines: Array<[Method, unknown[]]>;
}

// Module state that must survive this file being evaluated again for the next test file.
const state = globalThis as typeof globalThis & { __heldConsole?: Holding };

/** Writes what was held since the last file ended, and stops holding. */
function release(): void {
  const holding = state.__heldConsole;
  if (!holding) return;
  state.__heldConsole = undefined;
  Object.assign(holding.console, holding.originals);
  for (const [method, args] of holding.lines) console[method](...args);
}

/** Holds every console line until `release`. */
function hold(): void {
  const lines: Holding["lines"] = [];
  const originals = Object.fromEntries(METHODS.map((m) => [m, console[m]])) as Holding["originals"];
  for (const method of METHODS) console[method] = (...args: unknown[]) => void lines.push([method, args]);
  state.__heldConsole = { console, originals, lines };
}

release();

afterAll(async () => {
  // Batches until no more are added: a settled promise may have registered another.
  await waitForGlobalWaitUntil().catch((error: unknown) =>
    console.warn("a waitUntil task of this file failed:", error),
  );
  hold();
}, 30_000);
