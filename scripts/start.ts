/**
 * `npm start`: the gateway locally with everything it needs, in one command.
 * Applies the D1 migrations to the local database, starts the demo origin
 * (in this process) and the gateway under `wrangler dev` with the signing
 * secret they share (made once per checkout, kept beside the demo state in
 * PERSIST_TO), seeds (once) a demo account, user and key through the admin
 * API, with the account's webhook pointed at the demo origin's `/webhooks`,
 * and prints how to call it. Each webhook event that arrives is printed too.
 * Ctrl-C stops everything.
 *
 * PORT (8787), ORIGIN_PORT (8788) and PERSIST_TO (.wrangler/state) move it.
 */
import type { AddressInfo } from "node:net";
import { createDemoOrigin, type WebhookInbox } from "../examples/origin/server.ts";
import { applyLocalMigrations, localSigningSecret, seedDemo, startGateway } from "./local-stack.ts";

const port = Number(process.env.PORT ?? 8787);
const originPort = Number(process.env.ORIGIN_PORT ?? 8788);
const persistTo = process.env.PERSIST_TO;
const adminToken = "dev-only-admin-token";
const stateDir = persistTo ?? ".wrangler/state";
const stateFile = `${stateDir}/momail-demo.json`;
const originSigningSecret = localSigningSecret(stateDir);

await applyLocalMigrations(persistTo);
const webhooks: WebhookInbox = {
  onEvent: (event) => console.log(`  webhook ← ${event.type} ${event.id} (signature ${event.signature})`),
};
const origin = createDemoOrigin({ secret: originSigningSecret, webhooks });
await new Promise<void>((resolve) => origin.listen(originPort, "127.0.0.1", resolve));
const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
const gateway = await startGateway({
  port,
  adminToken,
  upstreamUrl: originUrl,
  originSigningSecret,
  persistTo,
  showOutput: true,
});
const url = `http://localhost:${port}`;

let stopping = false;
async function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  await gateway.stop();
  origin.closeAllConnections();
  origin.close();
  process.exit(code);
}
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
gateway.child.on("exit", (code) => {
  if (!stopping) console.error(`wrangler dev exited (code ${code}); stopping`);
  void shutdown(code ?? 1);
});

try {
  const demo = await seedDemo(gateway.url, adminToken, stateFile, `${originUrl}/webhooks`);
  webhooks.secret = demo.webhookSecret;
  console.log(`
  MoMail gateway is running locally (Ctrl-C stops everything)

    Gateway       ${url}
    Demo origin   ${originUrl}
    Admin API     ${url}/admin   token: ${adminToken}   reference: ${url}/admin/docs
    Dashboard     ${url}/dashboard   ${demo.email} / ${demo.password}
    Demo key      ${demo.key}
    Webhooks      ${originUrl}/webhooks   (the demo account's events are printed here as they arrive)

  Try it:

    curl -X GET ${url}/v1/domains -H "X-API-Key: ${demo.key}"
`);
} catch (error) {
  console.error(error);
  await shutdown(1);
}
