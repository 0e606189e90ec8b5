/**
 * The Hono environment shared by every route: the bindings, and what the
 * middleware chain hands down (config, the request's stats, the key).
 */
import type { Config } from "./config";
import type { KeyRecord } from "./keys/records";
import type { RequestStats } from "./stats";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    config: Config;
    stats: RequestStats;
    /** The verified key of a data-plane request. */
    key?: KeyRecord;
    /** Headers every response to this request carries (e.g. rate-limit headers), errors included. */
    responseHeaders?: Record<string, string>;
  };
}
