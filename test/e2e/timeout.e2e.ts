/**
 * The upstream timeout through a real request lifecycle (`wrangler dev`):
 * an origin that sends no headers within UPSTREAM_TIMEOUT_MS gets a 504
 * answered to the client at once, and its request is closed as soon as the
 * gateway's request ends. The gateway passes no AbortSignal to fetch (see
 * src/proxy/index.ts): it relies on the runtime cancelling the subrequests of
 * a finished request, which a test inside the Workers pool cannot observe
 * (its requests live as long as the test), so this one runs end to end, on
 * a gateway of its own: the shared stack's (support/stack.ts) cannot take an
 * UPSTREAM_TIMEOUT_MS of 300, which would turn any slow answer of its origins
 * into a 504 for the other files.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyLocalMigrations, freePort, type GatewayProcess, startGateway } from "../../scripts/local-stack.ts";
import { adminClient } from "./support/stack.ts";

/** What the origin saw of each request: when it arrived and when its connection closed. */
interface Seen {
  path: string;
  arrived: number;
  closed?: number;
}

describe("upstream timeout (wrangler dev)", () => {
  const seen: Seen[] = [];
  const adminToken = randomBytes(24).toString("hex");
  let origin: Server;
  let gateway: GatewayProcess | undefined;
  let state: string;
  let key: string;

  beforeAll(async () => {
    // Answers after 5 s, unless the gateway has gone away by then.
    origin = createServer((req, res) => {
      const entry: Seen = { path: req.url ?? "", arrived: Date.now() };
      seen.push(entry);
      req.resume();
      res.on("close", () => {
        entry.closed = Date.now();
      });
      const timer = setTimeout(() => res.end("too late"), 5_000);
      res.on("close", () => clearTimeout(timer));
    });
    await new Promise<void>((resolve) => origin.listen(0, "127.0.0.1", resolve));
    state = await mkdtemp(join(tmpdir(), "momail-timeout-"));
    await applyLocalMigrations(state);
    gateway = await startGateway({
      port: await freePort(),
      adminToken,
      upstreamUrl: `http://127.0.0.1:${(origin.address() as AddressInfo).port}`,
      persistTo: state,
      vars: { UPSTREAM_TIMEOUT_MS: "300" },
    });
    const admin = adminClient(gateway.url, adminToken);
    const account = await admin<{ id: string }>("POST", "/accounts", { name: "Timeout" });
    key = (await admin<{ key: string }>("POST", `/accounts/${account.id}/keys`, { name: "timeout" })).key;
  });

  afterAll(async () => {
    await gateway?.stop();
    origin?.closeAllConnections();
    await new Promise((resolve) => origin?.close(resolve));
    if (state) await rm(state, { recursive: true, force: true });
  });

  it("answers 504 GATEWAY_TIMEOUT and closes the origin request when no headers come in time", async () => {
    const started = Date.now();
    const response = await fetch(`${gateway?.url}/v1/domains/slow`, { headers: { "X-API-Key": key } });
    const answered = Date.now();
    expect(response.status).toBe(504);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("GATEWAY_TIMEOUT");
    expect(answered - started).toBeLessThan(3_000);

    const request = seen.find((entry) => entry.path === "/v1/domains/slow");
    expect(request).toBeDefined();
    const deadline = Date.now() + 2_000;
    while (request?.closed === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Closed by the gateway, long before the origin's own answer at 5 s.
    expect(request?.closed).toBeDefined();
    expect((request?.closed as number) - (request?.arrived as number)).toBeLessThan(2_500);
  });
});
