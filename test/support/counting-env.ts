/**
 * The real bindings, wrapped to count what the gateway does with them (KV
 * reads and writes, D1 statements, Durable Object stubs) and to fail on
 * demand. Nothing is mocked: every call still goes to workerd's D1, KV and
 * Durable Objects unless a failure was asked for.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";

export interface Counts {
  kvReads: number;
  kvWrites: number;
  d1: number;
  objects: number;
}

/**
 * Failures on demand, consulted on every call (so a test can switch them
 * mid-way): throw to fail the call; `kvRead` may instead return a promise
 * that stands in for KV's answer (one that never settles: a KV timeout).
 * `d1` receives the 1-based number of the D1 call (prepare, batch, exec).
 */
export interface Faults {
  kvRead?: () => Promise<unknown> | undefined;
  /** KV put and delete (cache fills and purges). */
  kvWrite?: () => Promise<unknown> | undefined;
  d1?: (call: number) => void;
  /** A call to an account's gate. */
  object?: () => void;
  /** A call to a location's budget holder. */
  holder?: () => void;
}

/** What D1 throws when it cannot be reached. */
export const d1Down = () => {
  throw new Error("D1_ERROR: Network connection lost.");
};

const isRead = (name: string) => name === "get" || name === "getWithMetadata";

/** KV writes still running (cache fills and purges, left to waitUntil). */
type Pending = Set<Promise<unknown>>;

/** `target` with every method call passed to `onCall` first; calls `track` names are added to `pending`. */
function wrap<T extends object>(
  target: T,
  onCall: (name: string) => unknown,
  pending?: Pending,
  track?: (name: string) => boolean,
): T {
  return new Proxy(target, {
    get(object, name) {
      const value = Reflect.get(object, name);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const replaced = onCall(String(name));
        const result = replaced !== undefined ? replaced : value.apply(object, args);
        if (pending && track?.(String(name)) && result instanceof Promise) {
          const tracked = result.catch(() => undefined).finally(() => pending.delete(tracked));
          pending.add(tracked);
        }
        return result;
      };
    },
  });
}

/**
 * Bindings that count their use, with `overrides` over the test env (variables,
 * or a binding such as a failing RATE_LIMITER); `faults` make a binding fail.
 */
export function countingEnv(overrides: Record<string, unknown> = {}, faults: Faults = {}) {
  const counts: Counts = { kvReads: 0, kvWrites: 0, d1: 0, objects: 0 };
  const pending: Pending = new Set();
  const base = { ...env, ...overrides } as Env;
  const bindings = {
    ...base,
    KEYS_CACHE: wrap(
      base.KEYS_CACHE,
      (name) => {
        if (!isRead(name)) {
          counts.kvWrites++;
          return faults.kvWrite?.();
        }
        counts.kvReads++;
        return faults.kvRead?.();
      },
      // Only writes are waited for: a read that a fault makes hang must not hang the test.
      pending,
      (name) => !isRead(name),
    ),
    DB: wrap(base.DB, (name) => {
      if (name === "prepare" || name === "batch" || name === "exec") {
        counts.d1++;
        faults.d1?.(counts.d1);
      }
      return undefined;
    }),
    RATE_LIMITER: wrap(base.RATE_LIMITER, () => {
      counts.objects++;
      faults.object?.();
      return undefined;
    }),
    BUDGET_HOLDER: wrap(base.BUDGET_HOLDER, () => {
      counts.objects++;
      faults.holder?.();
      return undefined;
    }),
  };
  /**
   * Sends a request through the gateway with these bindings, and waits for the
   * KV writes it left running (cache fills), not for timers it left behind
   * (a lease's settlement waits for the lease to end).
   */
  async function fetch(path: string, init?: RequestInit): Promise<Response> {
    const ctx = createExecutionContext();
    const request = new Request(`http://localhost${path}`, init);
    const response = await worker.fetch(request as Parameters<typeof worker.fetch>[0], bindings as Env, ctx);
    const body = await response.arrayBuffer();
    while (pending.size > 0) await Promise.all([...pending]);
    return new Response(body.byteLength > 0 ? body : null, { status: response.status, headers: response.headers });
  }
  return { env: bindings, counts, fetch };
}
