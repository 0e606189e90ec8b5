import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import { createDemoOrigin } from "../../examples/origin/server.ts";
import { startGithubKeys } from "./github-keys.ts";
import { ORIGIN_SECRET } from "./origin-secret.ts";
import { startOrigin } from "./origin-server.ts";
import { startWebhookReceiver } from "./webhook-receiver.ts";

declare module "vitest" {
  export interface ProvidedContext {
    originPort: number;
    demoOriginPort: number;
    webhookReceiverPort: number;
    githubKeysPort: number;
  }
}

/**
 * Starts the Node servers the tests talk to before any test file, and stops
 * them after all: the test origin, the demo origin, a webhook receiver and
 * the stand-in for GitHub's secret-scanning public keys.
 */
export default async function setup(project: TestProject) {
  const { server, port } = await startOrigin();
  const demo = createDemoOrigin({ secret: ORIGIN_SECRET });
  await new Promise<void>((resolve) => demo.listen(0, "127.0.0.1", resolve));
  const receiver = await startWebhookReceiver();
  const github = await startGithubKeys();
  project.provide("originPort", port);
  project.provide("demoOriginPort", (demo.address() as AddressInfo).port);
  project.provide("webhookReceiverPort", receiver.port);
  project.provide("githubKeysPort", github.port);
  return async () => {
    for (const s of [server, demo, receiver.server, github.server]) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  };
}
