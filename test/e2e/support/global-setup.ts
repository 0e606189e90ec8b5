/**
 * Starts the stack the e2e files share (stack.ts) once, before them, and
 * stops it after the run. The origins are up at once; the gateway (local D1
 * migrations, then `wrangler dev`) starts in the background, so the unit and
 * workers projects run meanwhile, and `sharedStack()` waits until it answers.
 * The test files run in other processes, so the demo origin's webhook
 * receiver learns its secret over HTTP: `PUT /__inbox/secret`.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type RequestListener, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { createDemoOrigin, type WebhookInbox } from "../../../examples/origin/server.ts";
import { applyLocalMigrations, freePort, startGateway } from "../../../scripts/local-stack.ts";
import { ORIGIN_SECRET } from "../../support/origin-secret.ts";
import { startOrigin } from "../../support/origin-server.ts";
import { INBOX_SECRET_PATH } from "./stack.ts";

/** The demo origin, and `PUT /__inbox/secret` to set its receiver's secret. */
async function startDemoOrigin(): Promise<Server> {
  const inbox: WebhookInbox = {};
  const [demo] = createDemoOrigin({ secret: ORIGIN_SECRET, webhooks: inbox }).listeners("request") as RequestListener[];
  const server = createServer((req, res) => {
    if (req.url !== INBOX_SECRET_PATH || req.method !== "PUT") return demo?.(req, res);
    let secret = "";
    req.on("data", (chunk) => (secret += chunk));
    req.on("end", () => {
      inbox.secret = secret;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

export default async function setup(project: TestProject) {
  const state = await mkdtemp(join(tmpdir(), "momail-e2e-"));
  const origin = await startDemoOrigin();
  const echo = await startOrigin();
  const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const port = await freePort();
  const adminToken = randomBytes(24).toString("hex");
  const starting = applyLocalMigrations(state).then(() =>
    startGateway({
      port,
      adminToken,
      upstreamUrl: originUrl,
      // The secret both origins verify (the demo origin refuses the dev default).
      originSigningSecret: ORIGIN_SECRET,
      persistTo: state,
      vars: {
        DASHBOARD_RESOURCES: "domains,messages",
        UPSTREAM_ROUTES: JSON.stringify({ echo: `http://127.0.0.1:${echo.port}` }),
        // Test keys' requests reach the test origin under /sandbox, which answers with what it received.
        SANDBOX_UPSTREAM_URL: `http://127.0.0.1:${echo.port}/sandbox`,
      },
    }),
  );
  starting.catch((error: unknown) => console.error(`The e2e gateway did not start: ${error}`));
  project.provide("e2eStack", { url: `http://127.0.0.1:${port}`, adminToken, originUrl });

  return async () => {
    await (await starting.catch(() => undefined))?.stop();
    for (const server of [origin, echo.server]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await rm(state, { recursive: true, force: true });
  };
}
