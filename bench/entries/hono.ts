/**
 * Bench-only Worker: the gateway's data plane mounted as Hono middleware, to
 * measure what routing every `/v1/*` request through a Hono app costs
 * against the plain pipeline the gateway deploys (src/index.ts hands
 * `/v1/*` to `serveDataPlane` before Hono). Same modules, same bundler
 * (`wrangler deploy --dry-run` with this entry), same account gate.
 */
import { Hono } from "hono";
import { serveDataPlane } from "../../src/data-plane";

export { BudgetHolder } from "../../src/gate/holder";
export { AccountGate } from "../../src/gate/object";

const app = new Hono<{ Bindings: Env }>();

// Hono types its context's executionCtx narrower than the runtime's; at run time it is the same object.
app.use("/v1/*", (c) => serveDataPlane(c.req.raw, c.req.url, c.env, c.executionCtx as ExecutionContext));

export default app;
