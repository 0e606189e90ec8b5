/**
 * The one Hono environment of the admin API and the dashboard: the bindings,
 * and what the middleware chain hands down (request id, config, the request's
 * stats, and, on the dashboard's signed-in pages, the session that
 * `requireSession` loaded).
 */
import type { Config } from "./config";
import type { DashboardSession } from "./dashboard/session";
import type { RequestStats } from "./stats";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    stats: RequestStats;
    /** Set by `requireSession` (dashboard/guard.ts); absent everywhere else. */
    session: DashboardSession;
  };
}
