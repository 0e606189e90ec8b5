/**
 * Every URL of the dashboard, declared once. Each route is a Hono pattern
 * below the dashboard's mount point (`DASHBOARD_BASE`, where src/index.ts
 * mounts it): the routers register `.pattern`, and every redirect, link and
 * form action asks the same route for its `.href()`, with the parameters of
 * the pattern (typed from it: `rollKey.href({ keyId })`) and, optionally, a
 * query. So a URL changes in one line, and a link cannot point to a page
 * that no router answers. The tests build their URLs here too, and
 * test/dashboard/routes.test.ts pins every one to the documented address.
 */
import type { ParamKeys } from "hono/types";

/** Where the gateway mounts the dashboard. */
export const DASHBOARD_BASE = "/dashboard";

/** A query to add to a URL: a value per name, `true` for a bare flag (`?removed`); undefined is left out. */
export type Query = Record<string, string | true | undefined>;

type Params<P extends string> = Record<ParamKeys<P>, string>;

/** A dashboard route: the pattern its router registers, and the URL that reaches it. */
export interface Route<P extends string> {
  /** The Hono pattern, relative to DASHBOARD_BASE (e.g. `/settings/api-keys/:keyId/roll`). */
  readonly pattern: P;
  /** The URL of the route: its parameters filled in (URL-encoded), then the query. */
  readonly href: [ParamKeys<P>] extends [never]
    ? (query?: Query) => string
    : (params: Params<P>, query?: Query) => string;
}

/** A query string for `query` ("" when it has nothing): values encoded as a form encodes them. */
function search(query: Query = {}): string {
  const parts = Object.entries(query).flatMap(([name, value]) => {
    if (value === undefined) return [];
    if (value === true) return [encodeURIComponent(name)];
    return [new URLSearchParams({ [name]: value }).toString()];
  });
  return parts.length > 0 ? `?${parts.join("&")}` : "";
}

function route<const P extends string>(pattern: P): Route<P> {
  // The root is the mount point itself: `/dashboard`, not `/dashboard/` (which is no page).
  const path = pattern === "/" ? "" : pattern;
  const fill = (params: Record<string, string>) =>
    DASHBOARD_BASE + path.replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name] ?? ""));
  const href = pattern.includes(":")
    ? (params: Record<string, string>, query?: Query) => fill(params) + search(query)
    : (query?: Query) => fill({}) + search(query);
  return { pattern, href } as Route<P>;
}

/** The dashboard's routes, by name. */
export const routes = {
  /** Redirects to the login page, or to API Keys when signed in. */
  root: route("/"),
  login: route("/login"),
  logout: route("/logout"),
  settings: route("/settings"),
  apiKeys: route("/settings/api-keys"),
  newKey: route("/settings/api-keys/new"),
  /** A new or rolled key, shown once. */
  keyShown: route("/settings/api-keys/shown/:revealId"),
  renameKey: route("/settings/api-keys/:keyId/rename"),
  rollKey: route("/settings/api-keys/:keyId/roll"),
  /** A key's allowed IP addresses and sender domains. */
  keyRestrictions: route("/settings/api-keys/:keyId/restrictions"),
  deleteKey: route("/settings/api-keys/:keyId/delete"),
  usage: route("/settings/usage"),
  usageCsv: route("/settings/usage.csv"),
  webhooks: route("/settings/webhooks"),
  /** A new webhook signing secret, shown once. */
  webhookSecret: route("/settings/webhooks/secret/:revealId"),
  webhookTest: route("/settings/webhooks/test"),
  removeWebhook: route("/settings/webhooks/remove"),
  auditLog: route("/settings/audit-log"),
} as const;

/** Where a successful login, and a signed-in visit of the dashboard's root, lands. */
export const HOME = routes.apiKeys;
