/**
 * `npm start`: the gateway locally with everything it needs, in one command.
 * Applies the D1 migrations to the local database, starts the demo origin
 * and the gateway under `wrangler dev`, seeds (once) a demo account, user and
 * key through the admin API, and prints how to call it. Ctrl-C stops all.
 *
 * PORT (8787) and ORIGIN_PORT (8788) move the two servers.
 */
import { seedDemo, startStack } from "./local-stack.ts";

const port = Number(process.env.PORT ?? 8787);
const originPort = Number(process.env.ORIGIN_PORT ?? 8788);
const adminToken = "dev-only-admin-token";
const persistTo = process.env.PERSIST_TO;
const stateFile = `${persistTo ?? ".wrangler/state"}/momail-demo.json`;

const stack = await startStack({ port, originPort, adminToken, persistTo });
const shutdown = () => {
  stack.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
for (const child of stack.children) {
  child.on("exit", (code) => {
    console.error(`a local server exited (code ${code}); stopping`);
    shutdown();
  });
}

try {
  const demo = await seedDemo(stack.gatewayUrl, adminToken, stateFile);
  console.log(`
  MoMail gateway is running locally (Ctrl-C stops everything)

    Gateway       ${stack.gatewayUrl}
    Demo origin   ${stack.originUrl}
    Admin API     ${stack.gatewayUrl}/admin   token: ${adminToken}   reference: ${stack.gatewayUrl}/admin/docs
    Dashboard     ${stack.gatewayUrl}/dashboard   ${demo.email} / ${demo.password}
    Demo key      ${demo.key}

  Try it:

    curl -X GET ${stack.gatewayUrl}/v1/domains -H "X-API-Key: ${demo.key}"
`);
} catch (error) {
  console.error(error);
  shutdown();
}
