import type { TestProject } from "vitest/node";
import { startOrigin } from "./origin-server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    originPort: number;
  }
}

/** Starts the test origin in Node before any test file, and stops it after all. */
export default async function setup(project: TestProject) {
  const { server, port } = await startOrigin();
  project.provide("originPort", port);
  return async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
}
