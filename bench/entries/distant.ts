/**
 * Bench-only Worker: the gateway exactly as deployed, except that every call
 * to the account's gate (from the isolate, from a location's holder, and
 * from the admin operations) first waits half of BENCH_GATE_RTT_MS and after
 * its answer the other half: a gate in another region. Each call also writes
 * a `gatecall` line, which the benchmark counts (however it was made, in the
 * foreground or not). Nothing in src/ knows of it; the wrapped binding has
 * the same methods as the real one.
 */
import gateway, { AccountGate, BudgetHolder as Holder } from "../../src/index";
import { delayedGates } from "./delay";

export { AccountGate };

const GATE_CALL = JSON.stringify({ type: "gatecall" });

/** One wrapped env per real env: the gateway caches its parsed config by env object. */
const wrapped = new WeakMap<Env, Env>();
function far(env: Env): Env {
  let env2 = wrapped.get(env);
  if (!env2) {
    const rtt = Number((env as unknown as { BENCH_GATE_RTT_MS?: string }).BENCH_GATE_RTT_MS ?? 0);
    env2 = { ...env, RATE_LIMITER: delayedGates(env.RATE_LIMITER, rtt, () => console.log(GATE_CALL)) };
    wrapped.set(env, env2);
  }
  return env2;
}

/** The location holder, its calls to the gate as far away as the isolates'. */
export class BudgetHolder extends Holder {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, far(env));
  }
}

export default {
  fetch: (request, env, ctx) => gateway.fetch(request, far(env), ctx),
  queue: (batch, env, ctx) => gateway.queue(batch, far(env), ctx),
  scheduled: (controller, env, ctx) => gateway.scheduled(controller, far(env), ctx),
} satisfies ExportedHandler<Env, never>;
