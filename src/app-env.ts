/**
 * The one Hono environment of the admin API and the dashboard: the bindings,
 * and what the middleware chain hands down (request id, config, the request's
 * stats, and, on the dashboard's signed-in pages, the session that
 * `requireSession` loaded).
 */
import type { Config } from "./config";
import type { RequestStats } from "./stats";

/** The dashboard's signed-in user, as `requireSession` (dashboard/auth/guard.ts) hands it down. */
export interface DashboardSession {
  id: string;
  userId: string;
  accountId: string;
  accountName: string;
  email: string;
  /** The token every form of this session must carry (dashboard/auth/csrf.ts). */
  csrfToken: string;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    stats: RequestStats;
    /** Set by `requireSession` (dashboard/auth/guard.ts); absent everywhere else. */
    session: DashboardSession;
  };
}
