/**
 * The one Workers global type that gateway modules imported by the Node-side
 * benchmark (src/db/client.ts, through src/gate/usage.ts) name in their
 * signatures; Node's type check (tsconfig.node.json) has no Workers types.
 */
type D1Database = import("@cloudflare/workers-types/experimental").D1Database;
