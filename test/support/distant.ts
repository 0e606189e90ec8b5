/**
 * The account gates' namespace as seen from far away: each call to a gate
 * waits half of `rttMs` before it is made and the other half after its
 * answer (the bench's bench/entries/distant.ts does the same for a whole
 * Worker). The calls still go to workerd's real Durable Objects.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function distantGate(namespace: Env["RATE_LIMITER"], rttMs: number): Env["RATE_LIMITER"] {
  const getByName = (name: string) =>
    new Proxy(namespace.getByName(name), {
      get(stub, property) {
        const value = Reflect.get(stub, property);
        if (typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          await sleep(rttMs / 2);
          const answer = await Reflect.apply(value, stub, args);
          await sleep(rttMs / 2);
          return answer;
        };
      },
    });
  return { ...namespace, getByName } as Env["RATE_LIMITER"];
}
