/**
 * Configuration, validated once per environment with zod. A missing or
 * malformed variable yields one clear message naming it (ConfigError), before
 * any request is served. Development-only defaults (values starting with
 * "dev-only-", as wrangler.toml ships them) are refused unless ENVIRONMENT is
 * "development", so they can never reach a production deploy.
 */
import { z } from "zod";
import { parseRoute, routeList, routeMethod, routeResource } from "./routes";

const DEV_ONLY = "dev-only-";
const MIN_SECRET_LENGTH = 32;

export class ConfigError extends Error {
  override name = "ConfigError";
}

const intVar = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((value) => value ?? fallback);

const rateLimitVar = z
  .string()
  .trim()
  .regex(/^\d+(\/\d+)?$/, 'must be "limit/windowSeconds", e.g. "100/60"')
  .transform((value) => {
    const [limit, window = "60"] = value.split("/");
    return { limit: Number(limit), windowSeconds: Number(window) };
  })
  .pipe(
    z.object({
      limit: z.number().int().min(1).max(1_000_000),
      windowSeconds: z.number().int().min(1).max(86_400),
    }),
  )
  .optional()
  .transform((value) => value ?? { limit: 100, windowSeconds: 60 });

const httpUrl = z
  .string()
  .trim()
  .pipe(z.url({ protocol: /^https?$/, error: "must be an absolute http(s) URL" }))
  .transform((value) => value.replace(/\/+$/, ""));

const jsonObject = z.string().transform((value, ctx) => {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    ctx.addIssue({ code: "custom", message: "must be a JSON object" });
    return z.NEVER;
  }
});

/**
 * `entries` with each key as routes match it (`normalise`, null when the key
 * is not one), refusing a key that is not one and two spellings of one route
 * given different values (`"POST /v1/Messages": 1, "POST /v1/messages": 5`).
 */
function normaliseKeys<T>(
  entries: Array<[string, T]>,
  normalise: (key: string) => string | null,
  expected: string,
  ctx: z.RefinementCtx,
): Array<[string, T]> {
  const out = new Map<string, [string, T]>();
  for (const [key, value] of entries) {
    const route = normalise(key);
    if (route === null) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(key)}: ${expected}` });
      continue;
    }
    const seen = out.get(route);
    if (seen && seen[1] !== value) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(seen[0])} and ${JSON.stringify(key)} name one route` });
    }
    out.set(route, [key, value]);
  }
  return [...out].map(([route, [, value]]) => [route, value]);
}

const ROUTE_RESOURCE = /^[a-z0-9_-]{1,64}$/;
/** A configured resource name as routes match it (`Messages` -> `messages`), or null when it names none. */
const resourceName = (name: string) => {
  const resource = routeResource(`/v1/${name}`);
  return ROUTE_RESOURCE.test(resource) ? resource : null;
};
/** A ROUTE_COSTS key as routes match it (`"HEAD /v1/Reports/"` -> `"GET /v1/reports"`), or null. */
const costRoute = (key: string) => {
  const route = parseRoute(key);
  if (route === "*") return route;
  const match = route && /^(\*|GET|POST|PUT|PATCH|DELETE|OPTIONS) \/v1\/([^/]+)$/.exec(route);
  return match && ROUTE_RESOURCE.test(match[2] as string) ? route : null;
};

/** `{"messages": "https://…"}`: resources routed to another upstream than UPSTREAM_URL, names as routes match them. */
const upstreamRoutes = jsonObject
  .pipe(z.record(z.string(), httpUrl))
  .transform((routes, ctx) =>
    Object.fromEntries(
      normaliseKeys(Object.entries(routes), resourceName, "resource names are [A-Za-z0-9_-]{1,64}", ctx),
    ),
  )
  .optional()
  .transform((value) => value ?? {});

/** `{"POST /v1/messages": 1, "* /v1/domains": 0, "*": 1}`: quota units per route (gate/costs.ts), keys as routes match them. */
const routeCosts = jsonObject
  .pipe(z.record(z.string(), z.number().int().min(0).max(1_000_000)))
  .transform(
    (costs, ctx) =>
      new Map(
        normaliseKeys(Object.entries(costs), costRoute, 'keys are "METHOD /v1/resource", "* /v1/resource" or "*"', ctx),
      ),
  )
  .optional()
  .transform((value) => value ?? new Map([["*", 1]]));

/** The routes that send email, whose JSON body's `from` a key's allowedSenderDomains restricts (CONTRACT §8). */
export const DEFAULT_SENDING_ROUTES = ["POST /v1/emails", "POST /v1/emails/batch"];

/** `["POST /v1/emails", …]`: SENDING_ROUTES, each `"METHOD /v1/path"` (or `"* /v1/path"`), as routes match them. */
const sendingRoutes = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: "custom", message: 'must be a JSON array of "METHOD /v1/path" routes' });
      return z.NEVER;
    }
  })
  .pipe(z.array(z.string(), { error: 'must be a JSON array of "METHOD /v1/path" routes' }).max(50))
  .transform((routes, ctx) => {
    for (const route of routes) {
      if (!/^(\*|[A-Z]+) \/v1\/./.test(parseRoute(route) ?? "")) {
        ctx.addIssue({ code: "custom", message: `${JSON.stringify(route)}: must be "METHOD /v1/path"` });
      }
    }
    return routes;
  })
  .optional()
  .transform((value) => value ?? DEFAULT_SENDING_ROUTES);

/**
 * A test of "is this request on a sending route", cheap for every other
 * request: a method no route names answers without looking at the path.
 */
function sendingRouteTest(routes: string[]): (method: string, pathname: string) => boolean {
  const matches = routeList(routes);
  const methods = new Set(routes.map((route) => routeMethod(route.slice(0, route.indexOf(" ")))));
  if (methods.has("*")) return matches;
  return (method, pathname) => methods.has(routeMethod(method)) && matches(method, pathname);
}

/** `"domains,messages"`: the resources the dashboard offers in a key's custom permissions. */
const resourceList = z
  .string()
  .transform((value) =>
    value
      .split(",")
      .map((name) => name.trim())
      .filter((name) => name !== ""),
  )
  .pipe(z.array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "resource names are [A-Za-z0-9_-]{1,64}")).max(50))
  .optional();

/** `"1:oldpepper,2:older"`: peppers that still verify hashes made before a rotation. */
const retiredPeppers = z
  .string()
  .regex(/^\d+:[^,]+(,\d+:[^,]+)*$/, 'must be "version:secret" pairs separated by commas')
  .transform((value) =>
    value.split(",").map((pair) => {
      const at = pair.indexOf(":");
      return { version: Number(pair.slice(0, at)), secret: pair.slice(at + 1) };
    }),
  )
  .optional()
  .transform((value) => value ?? []);

/** `"old1,old2"`: earlier KEY_PREFIX_SECRETs, under which keys issued before a rotation still verify. */
const retiredSecrets = z
  .string()
  .transform((value) => value.split(",").filter((secret) => secret !== ""))
  .optional()
  .transform((value) => value ?? []);

const schema = z.object({
  ENVIRONMENT: z.enum(["development", "production"]).default("production"),
  UPSTREAM_URL: httpUrl,
  UPSTREAM_ROUTES: upstreamRoutes,
  /** Where test keys' requests go (CONTRACT §8); unset: where live keys' go. */
  SANDBOX_UPSTREAM_URL: httpUrl.optional(),
  UPSTREAM_TIMEOUT_MS: intVar(30_000, 1, 600_000),
  MAX_BODY_BYTES: intVar(10_485_760, 0, 1_073_741_824),
  SENDING_ROUTES: sendingRoutes,
  /** The longest body a key restricted to sender domains may send on a sending route (restrictions/inspection.ts). */
  SENDER_CHECK_MAX_BYTES: intVar(1_048_576, 1_024, 1_073_741_824),
  ADMIN_TOKEN: z.string().min(1).optional(),
  KEY_PEPPER: z.string().min(1),
  KEY_PEPPER_VERSION: intVar(1, 1, 1_000_000),
  KEY_PEPPERS_RETIRED: retiredPeppers,
  KEY_PREFIX_SECRET: z.string().min(1),
  KEY_PREFIX_SECRETS_RETIRED: retiredSecrets,
  ORIGIN_SIGNING_SECRET: z.string().min(1),
  DEFAULT_RATE_LIMIT: rateLimitVar,
  RATE_LIMIT_FAIL_OPEN: z
    .enum(["true", "false"])
    .optional()
    .transform((value) => value === "true"),
  KEY_CACHE_TTL_SECONDS: intVar(3_600, 60, 86_400),
  KV_READ_TIMEOUT_MS: intVar(1_000, 1, 60_000),
  LEASE_MS: intVar(4_000, 0, 4_000),
  HOLDER_MIN_RTT_MS: intVar(10, 0, 10_000),
  LOCATION_HOLDERS: z
    .enum(["true", "false"], { error: 'must be "true" or "false"' })
    .optional()
    .transform((value) => value !== "false"),
  ROUTE_COSTS: routeCosts,
  MAX_KEYS_PER_ACCOUNT: intVar(100, 1, 100_000),
  AUDIT_RETENTION_DAYS: intVar(365, 1, 3_650),
  GITHUB_SECRET_SCANNING_KEYS_URL: httpUrl
    .optional()
    .transform((value) => value ?? "https://api.github.com/meta/public_keys/secret_scanning"),
  LEAKED_KEY_ACTION: z.enum(["revoke", "notify"], { error: 'must be "revoke" or "notify"' }).default("revoke"),
  WEBHOOK_MAX_ATTEMPTS: intVar(8, 1, 20),
  // Idempotent requests (CONTRACT §9): how long an answer is kept, and the largest body kept (a gate row holds it).
  IDEMPOTENCY_TTL_SECONDS: intVar(86_400, 60, 604_800),
  IDEMPOTENCY_MAX_BYTES: intVar(262_144, 0, 1_048_576),
  DASHBOARD_RESOURCES: resourceList,
  LOG_REQUESTS: z
    .enum(["true", "false"])
    .optional()
    .transform((value) => value !== "false"),
});

export type Config = Omit<z.output<typeof schema>, "DASHBOARD_RESOURCES"> & {
  /** DASHBOARD_RESOURCES, else the resources UPSTREAM_ROUTES and ROUTE_COSTS name (see dashboardResources). */
  DASHBOARD_RESOURCES: string[];
  isDevelopment: boolean;
  /** Pepper secrets by version: the current one and the retired ones. */
  peppers: Map<number, string>;
  /** KEY_PREFIX_SECRET first, then the retired ones: a key verifies if its prefix is the MAC under any of them. */
  prefixSecrets: string[];
  /** Whether a request is on one of SENDING_ROUTES (as routes match it: routes.ts). */
  isSendingRoute: (method: string, pathname: string) => boolean;
};

const SECRETS = ["ADMIN_TOKEN", "KEY_PEPPER", "KEY_PREFIX_SECRET", "ORIGIN_SIGNING_SECRET"] as const;

/** Rules only production enforces: real secrets, long enough, never the dev defaults. */
function checkProductionSecrets(parsed: z.output<typeof schema>): string[] {
  const problems: string[] = [];
  for (const name of SECRETS) {
    const value = parsed[name];
    if (value === undefined) continue;
    if (value.startsWith(DEV_ONLY)) {
      problems.push(`${name}: is a development-only default; set a real secret with \`wrangler secret put ${name}\``);
    } else if (value.length < MIN_SECRET_LENGTH) {
      problems.push(`${name}: must be at least ${MIN_SECRET_LENGTH} characters in production`);
    }
  }
  for (const { version, secret } of parsed.KEY_PEPPERS_RETIRED) {
    if (secret.startsWith(DEV_ONLY))
      problems.push(`KEY_PEPPERS_RETIRED: version ${version} is a development-only value`);
  }
  if (parsed.KEY_PREFIX_SECRETS_RETIRED.some((secret) => secret.startsWith(DEV_ONLY))) {
    problems.push("KEY_PREFIX_SECRETS_RETIRED: holds a development-only value");
  }
  return problems;
}

/**
 * The resources the dashboard offers per-resource permissions for: the list
 * in DASHBOARD_RESOURCES, else those the routing configuration already names
 * (UPSTREAM_ROUTES, then ROUTE_COSTS), without repeats.
 */
function dashboardResources(parsed: z.output<typeof schema>): string[] {
  if (parsed.DASHBOARD_RESOURCES) return [...new Set(parsed.DASHBOARD_RESOURCES)];
  const fromCosts = [...parsed.ROUTE_COSTS.keys()].flatMap((route) => /\/v1\/(.+)$/.exec(route)?.[1] ?? []);
  return [...new Set([...Object.keys(parsed.UPSTREAM_ROUTES), ...fromCosts])];
}

/** Validates raw bindings into a Config, or throws a ConfigError naming every bad variable. */
export function parseConfig(env: Record<string, unknown>): Config {
  const vars: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    // Empty strings count as unset, as `--var NAME:` would give.
    if (typeof value === "string" && value !== "") vars[key] = value;
  }
  const result = schema.safeParse(vars);
  if (!result.success) {
    const problems = new Set(
      result.error.issues.map((issue) => `${issue.path.join(".") || "config"}: ${issue.message}`),
    );
    throw new ConfigError(`Invalid configuration: ${[...problems].join("; ")}`);
  }
  const parsed = result.data;
  const isDevelopment = parsed.ENVIRONMENT === "development";
  if (!isDevelopment) {
    const problems = checkProductionSecrets(parsed);
    if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join("; ")}`);
  }
  const peppers = new Map<number, string>(parsed.KEY_PEPPERS_RETIRED.map((p) => [p.version, p.secret]));
  peppers.set(parsed.KEY_PEPPER_VERSION, parsed.KEY_PEPPER);
  const prefixSecrets = [parsed.KEY_PREFIX_SECRET, ...parsed.KEY_PREFIX_SECRETS_RETIRED];
  const isSendingRoute = sendingRouteTest(parsed.SENDING_ROUTES);
  return {
    ...parsed,
    DASHBOARD_RESOURCES: dashboardResources(parsed),
    isDevelopment,
    peppers,
    prefixSecrets,
    isSendingRoute,
  };
}

const cache = new WeakMap<object, Config>();

/** The validated config for these bindings, parsed once per isolate. */
export function getConfig(env: object): Config {
  let config = cache.get(env);
  if (!config) {
    config = parseConfig(env as Record<string, unknown>);
    cache.set(env, config);
  }
  return config;
}
