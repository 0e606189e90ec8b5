/**
 * The edge as it is, on one machine: one workerd running a router Worker in
 * front of N gateway Workers (each its own isolate, with its own caches and
 * leases) and N bare pass-through Workers, as Cloudflare spreads a
 * location's traffic over many machines. The gateways share one D1, one KV
 * and one namespace of account gates and location holders (their Durable
 * Object bindings point at the first gateway's classes). The gateway bundle
 * is bench/entries/distant.ts: the deployed code with every call to the
 * account's gate delayed by a round trip (BENCH_GATE_RTT_MS), as when the
 * gate lives in another region.
 *
 * The router picks one of the first `x-edge-isolates` Workers at random per
 * request (default: all; `x-edge-isolate: i` pins the i-th) and tells it where the request arrived
 * (`request.cf.colo`, from `x-edge-location`, default "AMS"); a path under
 * `/__bare` goes to a bare Worker instead, picked the same way. Used by the
 * benchmark's edge section and by the cross-isolate tests (test/edge/).
 */
import {
  applyMigrations,
  BENCH_SECRETS,
  bundle,
  COMPATIBILITY_DATE,
  COMPATIBILITY_FLAGS,
  launchLogging,
} from "../workers.ts";

/** The gateways' admin token unless a cluster is given another. */
export const EDGE_ADMIN_TOKEN = "edge-admin-token";

export interface ClusterOptions {
  /** Gateway (and bare) Workers. */
  isolates: number;
  upstreamUrl: string;
  /** Round trip to the account's gate, ms (0: next door). */
  gateRttMs?: number;
  adminToken?: string;
  /** More variables for every gateway. */
  vars?: Record<string, string>;
  /** A bundle made already (bundleDistant()), to start many clusters from one. */
  scriptPath?: string;
}

/** The router: a random Worker of the pool the request names, told its location. */
const ROUTER = (isolates: number) => `
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const bare = url.pathname.startsWith("/__bare");
    const pool = Math.min(${isolates}, Math.max(1, Number(request.headers.get("x-edge-isolates")) || ${isolates}));
    const pinned = request.headers.get("x-edge-isolate");
    const i = pinned === null ? Math.floor(Math.random() * pool) : Number(pinned) % ${isolates};
    const location = request.headers.get("x-edge-location") || "AMS";
    const target = bare ? env["BARE" + i] : env["GW" + i];
    if (bare) url.pathname = url.pathname.slice("/__bare".length) || "/";
    return target.fetch(new Request(new Request(url, request), { cf: { colo: location } }));
  },
};`;

/** Bundles the gateway with the distant-gate wrapper, as a deploy would bundle it. */
export const bundleDistant = () => bundle("bench/entries/distant.ts");

export type Cluster = Awaited<ReturnType<typeof startCluster>>;

/** Starts the router, the gateways and the bare Workers in one workerd; migrations applied. */
export async function startCluster(options: ClusterOptions) {
  const { isolates, upstreamUrl } = options;
  const scriptPath = options.scriptPath ?? bundleDistant();
  const gatewayName = (i: number) => `gateway-${i}`;
  const gateways = Array.from({ length: isolates }, (_, i) => ({
    name: gatewayName(i),
    modules: true,
    scriptPath,
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags: COMPATIBILITY_FLAGS,
    bindings: {
      ENVIRONMENT: "development",
      UPSTREAM_URL: upstreamUrl,
      ADMIN_TOKEN: options.adminToken ?? EDGE_ADMIN_TOKEN,
      BENCH_GATE_RTT_MS: String(options.gateRttMs ?? 0),
      ...BENCH_SECRETS,
      ...options.vars,
    },
    d1Databases: { DB: "edge-db" },
    kvNamespaces: { KEYS_CACHE: "edge-kv" },
    durableObjects: {
      RATE_LIMITER: { className: "AccountGate", scriptName: gatewayName(0), useSQLite: true },
      BUDGET_HOLDER: { className: "BudgetHolder", scriptName: gatewayName(0), useSQLite: true },
    },
  }));
  const bares = Array.from({ length: isolates }, (_, i) => ({
    name: `bare-${i}`,
    modules: true,
    scriptPath: "bench/passthrough.js",
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: { UPSTREAM_URL: upstreamUrl },
  }));
  const serviceBindings: Record<string, string> = {};
  for (let i = 0; i < isolates; i++) {
    serviceBindings[`GW${i}`] = gatewayName(i);
    serviceBindings[`BARE${i}`] = `bare-${i}`;
  }
  const cluster = await launchLogging(`edge-${isolates}`, {
    host: "127.0.0.1",
    port: 0,
    workers: [
      {
        name: "router",
        modules: true,
        script: ROUTER(isolates),
        compatibilityDate: COMPATIBILITY_DATE,
        serviceBindings,
      },
      ...gateways,
      ...bares,
    ],
  });
  await applyMigrations(cluster.mf, gatewayName(0));
  return cluster;
}

/**
 * Sends every key once through every gateway isolate (`concurrency` at a
 * time): each isolate then holds each key's record, as the steady state of
 * keys used every few seconds does (a record stays 5 minutes in an isolate).
 */
export async function warmEveryIsolate(cluster: Cluster, isolates: number, keys: string[], concurrency = 32) {
  const jobs: Array<[number, string]> = [];
  for (let i = 0; i < isolates; i++) for (const key of keys) jobs.push([i, key]);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const [i, key] = jobs[next++] as [number, string];
      const response = await fetch(`${cluster.url}/v1/domains`, {
        headers: { "x-api-key": key, "x-edge-isolate": String(i), "x-edge-location": "warm" },
      });
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  cluster.takeLines();
}
