/**
 * `npm run bench:memory`: what one gateway isolate holds at the bounds of its
 * caches: up to 10,000 key records (keys/lookup.ts) and 10,000 lease states
 * (gate/lease.ts), against a Worker's 128 MB.
 *
 * Method: the gateway as deployed, on workerd, with its account gates in a
 * second Worker (the same bundle) so the measured isolate holds only what an
 * edge isolate holds. Real requests fill the caches (each key twice: the
 * record is verified and cached, the key's lease state is created and its
 * usage owed). The isolate's V8 heap is read through workerd's inspector
 * after a forced full GC (`HeapProfiler.collectGarbage`, then
 * `Runtime.getHeapUsage`), before and after each step. Keys past 10,000
 * show the bound holding: the caches evict, the heap stops growing. The
 * figure is V8's heap (every JavaScript object the caches hold), not
 * workerd's native memory around the isolate, which does not grow with keys.
 */
import { startFastOrigin } from "./origin.ts";
import { seedKeys } from "./seed.ts";
import { applyMigrations, BENCH_SECRETS, bundle, miniflare } from "./workers.ts";

const KEYS = Number(process.env.BENCH_MEMORY_KEYS ?? 12_000);
const STEPS = [...new Set([1_000, 5_000, 10_000, KEYS])].filter((n) => n <= KEYS).sort((a, b) => a - b);
const INSPECTOR_PORT = Number(process.env.PORT ?? 9_000 + Math.floor(Math.random() * 900));
const WORKER_LIMIT_MB = 128;

/** A minimal Chrome DevTools Protocol session over the inspector's WebSocket. */
async function inspect(title: string, nudge: () => Promise<unknown>) {
  const targets = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json()) as Array<{
    title: string;
    webSocketDebuggerUrl: string;
  }>;
  const target = targets.find((t) => t.title === `workerd: worker core:user:${title}`);
  if (!target) throw new Error(`no inspector target ${title}: ${targets.map((t) => t.title).join(", ")}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve) => ws.addEventListener("open", resolve));
  let id = 0;
  const pending = new Map<number, (value: unknown) => void>();
  ws.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown };
    if (message.id !== undefined) pending.get(message.id)?.(message.result);
  });
  const send = (method: string) =>
    new Promise<unknown>((resolve) => {
      pending.set(++id, resolve);
      ws.send(JSON.stringify({ id, method, params: {} }));
    });
  return {
    /** Used V8 heap after a full GC, in bytes. workerd runs the GC on the isolate's next event: `nudge` gives it one. */
    async heapAfterGc(): Promise<number> {
      for (let i = 0; i < 2; i++) {
        const collected = send("HeapProfiler.collectGarbage");
        await nudge();
        await collected;
      }
      return ((await send("Runtime.getHeapUsage")) as { usedSize: number }).usedSize;
    },
    close: () => ws.close(),
  };
}

const origin = await startFastOrigin();
const script = bundle();
const worker = (name: string) => ({
  name,
  modules: true,
  scriptPath: script,
  compatibilityDate: "2026-08-01",
  bindings: { ENVIRONMENT: "development", UPSTREAM_URL: origin.url, ...BENCH_SECRETS },
  d1Databases: { DB: "memory-db" },
  kvNamespaces: { KEYS_CACHE: "memory-kv" },
  // The gates live in the "gate" Worker, another isolate: the edge isolate is measured alone.
  durableObjects: {
    RATE_LIMITER: { className: "AccountGate", scriptName: "gate", useSQLite: true },
    BUDGET_HOLDER: { className: "BudgetHolder", scriptName: "gate", useSQLite: true },
  },
});
const mf = miniflare({
  workers: [worker("edge"), worker("gate")],
  host: "127.0.0.1",
  port: 0,
  inspectorPort: INSPECTOR_PORT,
  handleStructuredLogs() {},
});
try {
  const url = (await mf.ready).toString().replace(/\/$/, "");
  await applyMigrations(mf);
  const { keys } = await seedKeys(mf, { keys: KEYS, keysPerAccount: 10 });
  const send = async (from: number, to: number) => {
    // Each key twice, so its record is verified and cached and its lease state holds a request's usage.
    let next = from;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < to) {
          const key = keys[next++] as string;
          for (let i = 0; i < 2; i++) {
            await (await fetch(`${url}/v1/domains`, { headers: { "X-API-Key": key } })).arrayBuffer();
          }
        }
      }),
    );
  };
  await send(0, 1);
  // A request without a key: refused before any storage or cache is touched.
  const nudge = () => fetch(`${url}/v1/domains`).then((r) => r.arrayBuffer());
  const edge = await inspect("edge", nudge);
  const baseline = await edge.heapAfterGc();
  console.log(`edge isolate heap after a first request: ${(baseline / 1e6).toFixed(1)} MB (after a full GC)`);
  console.log("keys seen   heap MB   growth MB   bytes per key   marginal bytes per key");
  let done = 1;
  let previous = baseline;
  for (const step of STEPS) {
    await send(done, step);
    const heap = await edge.heapAfterGc();
    const bytes = (n: number) => Math.round(n).toLocaleString("en");
    console.log(
      `${String(step).padStart(9)} ${(heap / 1e6).toFixed(1).padStart(9)} ${((heap - baseline) / 1e6).toFixed(1).padStart(11)} ${bytes((heap - baseline) / Math.min(step, 10_000)).padStart(15)} ${bytes((heap - previous) / (step - done)).padStart(24)}`,
    );
    done = step;
    previous = heap;
  }
  console.log(`a Worker may use ${WORKER_LIMIT_MB} MB`);
  edge.close();
} finally {
  await mf.dispose();
  origin.process.kill();
}
