/**
 * The Hono environment of the admin and dashboard routes: the bindings, and
 * what the middleware chain hands down (request id, config, the request's stats).
 */
import type { Config } from "./config";
import type { RequestStats } from "./stats";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    stats: RequestStats;
  };
}
