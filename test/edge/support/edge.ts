/**
 * One gateway cluster per test file, as the edge runs it: ISOLATES gateway
 * Workers (each its own isolate, with its own caches and leases) behind a
 * router that spreads requests over them at random and says they arrived in
 * one location, so every isolate shares that location's budget holders; the
 * account's gate GATE_RTT_MS away; the real test origin, which records what
 * reached it. Clients call through the router, as they would through
 * Cloudflare.
 */
import { inject } from "vitest";
import { type Cluster, EDGE_ADMIN_TOKEN, startCluster } from "../../../bench/edge/cluster.ts";
import { ORIGIN_SECRET } from "../../support/origin-secret.ts";
import { startOrigin } from "../../support/origin-server.ts";

export const ISOLATES = 8;
export const GATE_RTT_MS = 20;

export interface Edge {
  cluster: Cluster;
  originUrl: string;
  stop(): Promise<void>;
}

/** Starts the origin and the cluster. */
export async function startEdge(vars: Record<string, string> = {}): Promise<Edge> {
  const origin = await startOrigin();
  const originUrl = `http://127.0.0.1:${origin.port}`;
  const cluster = await startCluster({
    isolates: ISOLATES,
    upstreamUrl: originUrl,
    gateRttMs: GATE_RTT_MS,
    adminToken: EDGE_ADMIN_TOKEN,
    scriptPath: inject("edgeScript"),
    vars: { ORIGIN_SIGNING_SECRET: ORIGIN_SECRET, ...vars },
  });
  return {
    cluster,
    originUrl,
    async stop() {
      await cluster.mf.dispose();
      origin.server.closeAllConnections();
      await new Promise((resolve) => origin.server.close(resolve));
    },
  };
}

/** An admin API call through the router (any isolate). */
export async function admin<T = unknown>(edge: Edge, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${edge.cluster.url}/admin${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${EDGE_ADMIN_TOKEN}`,
      ...(body !== undefined && { "Content-Type": "application/json" }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as { data: T; error?: unknown };
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json.error)}`);
  return json.data;
}

/** A data-plane request through the router, to a random isolate. */
export async function call(edge: Edge, key: string, path = "/v1/domains"): Promise<Response> {
  const response = await fetch(`${edge.cluster.url}${path}`, { headers: { "X-API-Key": key } });
  await response.clone().arrayBuffer();
  return response;
}

/** `n` requests with keys taken in turn, at most `inFlight` at a time. */
export async function burst(edge: Edge, keys: string[], n: number, inFlight: number, path = "/v1/domains") {
  const responses: Response[] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      responses[i] = await call(edge, keys[i % keys.length] as string, path);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return responses;
}

/** What the origin received whose path contains `marker`. */
export async function originRequests(edge: Edge, marker: string): Promise<unknown[]> {
  return (await fetch(`${edge.originUrl}/__origin/requests?pathContains=${marker}`)).json() as Promise<unknown[]>;
}

export const statuses = (responses: Response[]) => responses.map((response) => response.status);
export const count = (responses: Response[], status: number) => statuses(responses).filter((s) => s === status).length;
