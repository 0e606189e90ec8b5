/**
 * What `npm run bench` measures: the scenarios (what load, against which
 * Worker) and the Worker instances they run on, each with its own workerd,
 * D1, KV and account gates, so one scenario's caches and background work
 * never blur another's. Instances are started and seeded only for the
 * scenarios chosen (BENCH_SCENARIOS).
 *
 *   bare      the bare pass-through worker (the platform's floor)
 *   hot       one account, one key          → hot, hotlua
 *   refusals  one account, one key never sent → forged, junk (so every log line there is theirs)
 *   keys1k    1,000 keys                     → keys1k, keys200 (its first 200 keys)
 *   keys10k   10,000 keys                    → keys10k, zipf10k
 *   policies  one key whose account has a shared rate limit and a quota
 *   hono      the data plane mounted as Hono middleware (bench/entries/hono.ts), one key
 *   quiet     the gateway with LOG_REQUESTS=false, one key
 *   writes    one account, two keys, each POSTing the same JSON email to /v1/emails
 *             → post (a key with no restriction: its body only signed), senders (a key
 *             restricted to sender domains, whose body the gateway reads and checks)
 *   idempotent one account, one key        → idempotent (the same POST, a new Idempotency-Key each: a gate
 *             of its own, so its gate's lines are its own)
 *
 * Keys live in accounts of BENCH_KEYS_PER_ACCOUNT (default 10) keys each.
 */
import { mkdirSync } from "node:fs";
import { forgedKey, junkKey, topShare, writeKeyFile, zipfSample } from "./keysets.ts";
import { type AccountColumns, type Seeded, type SeedSpec, seedKeys } from "./seed.ts";
import { bundle, type Gateway, startGateway, startPassthrough } from "./workers.ts";

export const KEYS_PER_ACCOUNT = Number(process.env.BENCH_KEYS_PER_ACCOUNT ?? 10);
export const ZIPF_S = 1.1;
const ZIPF_SAMPLES = 200_000;
const FORGED_KEYS = 10_000;

/** Far out of reach of any run: the policies scenario pays for checking them, never for refusals. */
const SHARED_AND_QUOTA: AccountColumns = {
  sharedRateLimitLimit: 1_000_000,
  sharedRateLimitWindowSeconds: 60,
  quotaLimit: 1_000_000_000_000,
  quotaPeriod: "month",
};

/** A request other than GET /v1/domains, for every request of a scenario. */
export interface ScenarioRequest {
  method: string;
  path: string;
  body: string;
  headers: Record<string, string>;
  /** Every request with a new Idempotency-Key (CONTRACT §9): each one a first request, kept. */
  freshIdempotencyKey?: boolean;
}

/** A transactional email as an application sends it: one message, its HTML and text (about 1 KB of JSON). */
export const EMAIL_REQUEST: ScenarioRequest = {
  method: "POST",
  path: "/v1/emails",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({
    from: "Acme Billing <billing@mail.acme.test>",
    to: ["customer@example.com"],
    reply_to: "support@acme.test",
    subject: "Your invoice INV-2027-0415 is ready",
    html: `<p>Hello,</p><p>Your invoice INV-2027-0415 for €129.00 is ready. ${"It is attached as a PDF. ".repeat(8)}</p><p>Acme</p>`,
    text: `Hello, your invoice INV-2027-0415 for 129.00 EUR is ready. ${"It is attached as a PDF. ".repeat(8)}Acme`,
    tags: [
      { name: "category", value: "invoice" },
      { name: "customer", value: "cus_4411" },
    ],
    headers: { "X-Entity-Ref-ID": "inv_2027_0415" },
  }),
};

export interface Scenario {
  id: string;
  label: string;
  instance: InstanceId;
  /** What every request is: GET /v1/domains unless this says otherwise. */
  request?: ScenarioRequest;
  /** "ratio": interleaved with the bare pass-through every round; "refusal": refused keys, fewer rounds. */
  kind: "ratio" | "refusal";
  /** One key for every request, or a file of keys picked at random per request. */
  key?: string;
  keysFile?: string;
  /** What the scenario sends, for the header of the output. */
  about?: string;
}

export type InstanceId =
  | "bare"
  | "hot"
  | "refusals"
  | "keys1k"
  | "keys10k"
  | "policies"
  | "hono"
  | "quiet"
  | "writes"
  | "idempotent";

export interface Instance {
  id: InstanceId;
  url: string;
  /** The gateway's log and counts (undefined for the bare pass-through). */
  gateway?: Gateway;
  /** The workerd's stdout, for every instance (the bare pass-through's carries only V8 traces, if asked for). */
  takeLines: () => string[];
  dispose(): Promise<void>;
  /** Keys seeded (none for the bare pass-through), and the accounts they are in. */
  keys: string[];
  seeded?: Seeded;
  accounts: number;
  /** The instance's workerd process (CPU time per request). */
  pid?: number;
}

/** Every scenario, in the order a round runs them (rotated each round). */
export const SCENARIOS: Array<Omit<Scenario, "key" | "keysFile" | "about">> = [
  { id: "hot", label: "B  one hot key", instance: "hot", kind: "ratio" },
  { id: "hotlua", label: 'B" one hot key, from a key file', instance: "hot", kind: "ratio" },
  { id: "keys200", label: "K0 200 keys at random", instance: "keys1k", kind: "ratio" },
  { id: "keys1k", label: "K1 1,000 keys at random", instance: "keys1k", kind: "ratio" },
  { id: "keys10k", label: "K2 10,000 keys at random", instance: "keys10k", kind: "ratio" },
  { id: "zipf10k", label: "K3 10,000 keys, Zipf 1.1", instance: "keys10k", kind: "ratio" },
  { id: "policies", label: "P  shared limit + quota", instance: "policies", kind: "ratio" },
  { id: "hono", label: "H  data plane in Hono", instance: "hono", kind: "ratio" },
  { id: "hotquiet", label: "B' one hot key, logs off", instance: "quiet", kind: "ratio" },
  { id: "post", label: "W  POST, no Idempotency-Key", instance: "writes", kind: "ratio" },
  { id: "senders", label: "W' POST, sender domains", instance: "writes", kind: "ratio" },
  { id: "idempotent", label: "I  POST, new Idempotency-Key", instance: "idempotent", kind: "ratio" },
  { id: "forged", label: "D  forged keys", instance: "refusals", kind: "refusal" },
  { id: "junk", label: "C  junk keys (checksum)", instance: "refusals", kind: "refusal" },
];

/** Sections beside the scenarios: low-load latency, gate work in a continuous run, and nginx for reference. */
export const SECTIONS = ["latency", "background", "nginx", "edge"] as const;

export const DEFAULT_SELECTION = [
  "hot",
  "hotlua",
  "keys200",
  "keys1k",
  "keys10k",
  "zipf10k",
  "policies",
  "hono",
  "post",
  "senders",
  "idempotent",
  "forged",
  "junk",
];

/** The scenario and section ids chosen by BENCH_SCENARIOS (comma-separated), or the defaults. */
export function selection(): Set<string> {
  const raw = process.env.BENCH_SCENARIOS;
  const chosen = raw ? raw.split(",").map((s) => s.trim()) : [...DEFAULT_SELECTION, "latency", "background", "edge"];
  const known = new Set<string>([...SCENARIOS.map((s) => s.id), ...SECTIONS]);
  const unknown = chosen.filter((id) => !known.has(id));
  if (unknown.length > 0)
    throw new Error(`BENCH_SCENARIOS: unknown ${unknown.join(", ")}; known: ${[...known].join(", ")}`);
  return new Set(chosen);
}

/** How many keys each instance holds, the account columns of its accounts, and its keys' own columns. */
const SEEDS: Record<Exclude<InstanceId, "bare">, Omit<SeedSpec, "keysPerAccount">> = {
  hot: { keys: 1 },
  refusals: { keys: 1 },
  keys1k: { keys: 1_000 },
  keys10k: { keys: 10_000 },
  policies: { keys: 1, account: SHARED_AND_QUOTA },
  hono: { keys: 1 },
  quiet: { keys: 1 },
  // Key 0 unrestricted, key 1 restricted to the email's sender domain (and its subdomains): the same bodies.
  writes: { keys: 2, key: (i) => (i === 1 ? { allowedSenderDomains: ["acme.test"] } : {}) },
  idempotent: { keys: 1 },
};

/** Starts (and seeds) the instances the chosen scenarios need. */
export async function startInstances(needed: Set<InstanceId>, upstreamUrl: string): Promise<Map<InstanceId, Instance>> {
  mkdirSync("bench/.out", { recursive: true });
  const gatewayScript = bundle();
  const honoScript = needed.has("hono") ? bundle("bench/entries/hono.ts") : undefined;
  const instances = new Map<InstanceId, Instance>();
  for (const id of needed) {
    if (id === "bare") {
      const bare = await startPassthrough(upstreamUrl);
      const dispose = () => bare.mf.dispose();
      instances.set(id, {
        id,
        url: bare.url,
        dispose,
        takeLines: bare.takeLines,
        keys: [],
        accounts: 0,
        pid: bare.pid,
      });
      continue;
    }
    const gateway = await startGateway({
      scriptPath: id === "hono" ? (honoScript as string) : gatewayScript,
      upstreamUrl,
      vars: id === "quiet" ? { LOG_REQUESTS: "false" } : {},
    });
    const seed = SEEDS[id];
    const seeded = await seedKeys(gateway.mf, { ...seed, keysPerAccount: KEYS_PER_ACCOUNT });
    const dispose = () => gateway.mf.dispose();
    const { keys, accountIds } = seeded;
    instances.set(id, {
      id,
      url: gateway.url,
      gateway,
      takeLines: gateway.takeLines,
      dispose,
      keys,
      seeded,
      accounts: accountIds.length,
      pid: gateway.pid,
    });
  }
  return instances;
}

/** The chosen scenarios, with the keys (or key files) each sends. */
export function buildScenarios(chosen: Set<string>, instances: Map<InstanceId, Instance>): Scenario[] {
  const keysOf = (id: InstanceId) => instances.get(id)?.keys ?? [];
  const out: Scenario[] = [];
  for (const base of SCENARIOS) {
    if (!chosen.has(base.id) || !instances.has(base.instance)) continue;
    const keys = keysOf(base.instance);
    const accounts = instances.get(base.instance)?.accounts ?? 0;
    const s: Scenario = { ...base };
    if (base.id === "hotlua") {
      // The hot key picked per request by the same Lua as the many-key scenarios: what that picking costs.
      s.keysFile = writeKeyFile(base.id, keys.slice(0, 1));
      s.about = "the hot key, sent the way the many-key scenarios send theirs (wrk's Lua picks it per request)";
    } else if (base.id === "keys200") {
      s.keysFile = writeKeyFile(base.id, keys.slice(0, 200));
      s.about = `the first 200 of the 1,000 keys (${Math.ceil(200 / KEYS_PER_ACCOUNT)} accounts), uniform: each key at a few requests a second`;
    } else if (base.id === "keys1k" || base.id === "keys10k") {
      s.keysFile = writeKeyFile(base.id, keys);
      s.about = `${keys.length} keys in ${accounts} accounts, uniform`;
    } else if (base.id === "zipf10k") {
      const sample = zipfSample(keys, ZIPF_S, ZIPF_SAMPLES);
      s.keysFile = writeKeyFile(base.id, sample);
      const share = (n: number) => `${(topShare(sample, n) * 100).toFixed(0)} %`;
      s.about = `${keys.length} keys in ${accounts} accounts; top 10 keys get ${share(10)}, top 100 ${share(100)}, top 1,000 ${share(1000)} of requests`;
    } else if (base.id === "forged") {
      s.keysFile = writeKeyFile(base.id, Array.from({ length: FORGED_KEYS }, forgedKey));
      s.about = `a different forged key (valid CRC-32, random prefix) per request, from ${FORGED_KEYS} pre-generated`;
    } else if (base.id === "junk") {
      s.key = junkKey();
      s.about = "one key-shaped string with a wrong checksum";
    } else if (base.id === "post" || base.id === "senders" || base.id === "idempotent") {
      const restricted = base.id === "senders";
      const fresh = base.id === "idempotent";
      s.key = keys[restricted ? 1 : 0];
      s.request = { ...EMAIL_REQUEST, freshIdempotencyKey: fresh };
      const bytes = EMAIL_REQUEST.body.length;
      s.about = restricted
        ? `POST /v1/emails of a ${bytes}-byte JSON email with a key restricted to acme.test: its body is read, parsed and checked`
        : `one key, POST /v1/emails of the same ${bytes}-byte JSON email${fresh ? ", each with a new Idempotency-Key" : ": its body only signed"}`;
    } else {
      s.key = keys[0];
      if (base.id === "policies")
        s.about = "one key; its account has a shared rate limit and a monthly quota, both far out of reach";
    }
    out.push(s);
  }
  return out;
}
