/**
 * The real bindings, wrapped to count what the gateway does with them (KV
 * reads and writes, D1 statements, Durable Object stubs) and to fail on
 * demand. Nothing is mocked: every call still goes to workerd's D1, KV and
 * Durable Objects unless a failure was asked for.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index";

export interface Counts {
  kvReads: number;
  kvWrites: number;
  d1: number;
  objects: number;
}

export interface Faults {
  kvRead?: () => Promise<never> | never;
  d1?: () => never;
  object?: () => never;
}

function wrap<T extends object>(target: T, onCall: (name: string) => void): T {
  return new Proxy(target, {
    get(object, name) {
      const value = Reflect.get(object, name);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        onCall(String(name));
        return value.apply(object, args);
      };
    },
  });
}

/** Bindings that count their use, plus `vars` overrides; `faults` make a binding throw. */
export function countingEnv(vars: Record<string, string | undefined> = {}, faults: Faults = {}) {
  const counts: Counts = { kvReads: 0, kvWrites: 0, d1: 0, objects: 0 };
  const bindings = {
    ...env,
    ...vars,
    KEYS_CACHE: wrap(env.KEYS_CACHE, (name) => {
      if (name === "get" || name === "getWithMetadata") {
        counts.kvReads++;
        faults.kvRead?.();
      } else counts.kvWrites++;
    }),
    DB: wrap(env.DB, (name) => {
      if (name === "prepare" || name === "batch" || name === "exec") {
        counts.d1++;
        faults.d1?.();
      }
    }),
    RATE_LIMITER: wrap(env.RATE_LIMITER, () => {
      counts.objects++;
      faults.object?.();
    }),
  };
  /** Sends a request through the gateway with these bindings and waits for its background work. */
  async function fetch(path: string, init?: RequestInit): Promise<Response> {
    const ctx = createExecutionContext();
    const request = new Request(`http://localhost${path}`, init);
    const response = await worker.fetch(request as Parameters<typeof worker.fetch>[0], bindings as Env, ctx);
    const body = await response.arrayBuffer();
    await waitOnExecutionContext(ctx);
    return new Response(body.byteLength > 0 ? body : null, { status: response.status, headers: response.headers });
  }
  return { env: bindings, counts, fetch };
}
