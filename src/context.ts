/**
 * The one request context of the data plane: what every step of a `/v1/*`
 * request needs (bindings, validated config, the request's id and storage
 * counters, and `waitUntil` for work that must not delay the response),
 * built once in `serveDataPlane` and passed down instead of four positional
 * parameters.
 */
import type { Config } from "./config";
import type { RequestStats } from "./stats";
import type { Trace } from "./trace";

export interface RequestContext {
  env: Env;
  config: Config;
  requestId: string;
  /** The W3C trace the origin receives (trace.ts). */
  trace: Trace;
  stats: RequestStats;
  /**
   * The location (Cloudflare data center, `request.cf.colo`) the request
   * arrived at, when known: the isolate then asks its location's budget
   * holder rather than the account's gate (gate/holder.ts).
   */
  location?: string;
  /** Keeps background work (cache fills, lease refreshes) alive after the response, off its critical path. */
  waitUntil(promise: Promise<unknown>): void;
}

/**
 * A value now or later. The warm path returns plain values (a key verified in
 * this isolate, a lease that answers) and callers await only real promises:
 * each `await` costs a microtask turn on every request, which the benchmark
 * measures. Do not make such functions `async`: test/data-plane/sync.test.ts
 * fails if the warm path stops answering synchronously.
 */
export type MaybePromise<T> = T | Promise<T>;

/** Calls `next` with the value, synchronously when it is not a promise. */
export function then<T, R>(value: MaybePromise<T>, next: (value: T) => MaybePromise<R>): MaybePromise<R> {
  return value instanceof Promise ? value.then(next) : next(value);
}
