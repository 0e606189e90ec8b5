/**
 * The account gates' namespace as seen from far away, for the benchmark and
 * the tests only (never src/): each call to a gate waits half of `rttMs`
 * before it is made and the other half after its answer, and is still made
 * to workerd's real Durable Objects. `onCall` runs as each call starts.
 */
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function delayedGates(
  namespace: Env["RATE_LIMITER"],
  rttMs: number,
  onCall: () => void = () => {},
): Env["RATE_LIMITER"] {
  const getByName = (name: string) =>
    new Proxy(namespace.getByName(name), {
      get(stub, property) {
        const value = Reflect.get(stub, property);
        if (typeof value !== "function") return value;
        return async (...args: unknown[]) => {
          onCall();
          if (rttMs > 0) await sleep(rttMs / 2);
          const answer = await Reflect.apply(value, stub, args);
          if (rttMs > 0) await sleep(rttMs / 2);
          return answer;
        };
      },
    });
  return { ...namespace, getByName } as Env["RATE_LIMITER"];
}
