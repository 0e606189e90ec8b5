/**
 * The edge tier's one bundle: the gateway as deployed, with the bench-only
 * distant-gate wrapper (bench/entries/distant.ts), built once for every file.
 */
import type { TestProject } from "vitest/node";
import { bundleDistant } from "../../../bench/edge/cluster.ts";

declare module "vitest" {
  export interface ProvidedContext {
    edgeScript: string;
  }
}

export default function setup(project: TestProject) {
  project.provide("edgeScript", bundleDistant());
}
