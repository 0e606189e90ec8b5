/**
 * `npm start` as a newcomer runs it: migrations, the demo origin, the gateway
 * under wrangler dev, the demo key printed with a curl that works, the demo
 * account's first webhook printed as it arrives, signature verified, the
 * same key again on the next start, and everything gone after Ctrl-C.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, killGroup } from "../../scripts/local-stack.ts";

const KEY = /mk_[a-z0-9]{8}_[A-Za-z0-9]{24}/;

interface Started {
  child: ChildProcess;
  output: () => string;
  key: string;
  curl: string;
}

/** Runs what `npm start` runs (`tsx scripts/start.ts`) until it prints the curl line. */
async function npmStart(env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, ["node_modules/tsx/dist/cli.mjs", "scripts/start.ts"], {
    env: { ...process.env, ...env },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => (output += chunk));
  child.stderr?.on("data", (chunk) => (output += chunk));
  const deadline = Date.now() + 90_000;
  while (!/curl -X GET .*X-API-Key: mk_/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`npm start did not print its curl:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const curl = (output.match(/curl -X GET .*/) as RegExpMatchArray)[0];
  return { child, output: () => output, key: (curl.match(KEY) as RegExpMatchArray)[0], curl };
}

/** Sends Ctrl-C (SIGINT to the script only) and waits for it to exit. */
async function ctrlC(started: Started): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => started.child.once("exit", (code) => resolve(code)));
  started.child.kill("SIGINT");
  return exited;
}

describe("npm start", () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const step of cleanup) await step();
  });

  it("serves the printed key to the printed curl, reuses it next time, and stops everything on Ctrl-C", async () => {
    const state = await mkdtemp(join(tmpdir(), "momail-start-"));
    cleanup.push(() => rm(state, { recursive: true, force: true }));
    const [port, originPort] = [await freePort(), await freePort()];
    const env = { PORT: String(port), ORIGIN_PORT: String(originPort), PERSIST_TO: state };

    const first = await npmStart(env);
    cleanup.push(async () => killGroup(first.child, "SIGKILL"));
    expect(first.curl).toBe(`curl -X GET http://localhost:${port}/v1/domains -H "X-API-Key: ${first.key}"`);
    const response = await fetch(`http://127.0.0.1:${port}/v1/domains`, { headers: { "X-API-Key": first.key } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: Array<{ name: string }> };
    expect(body.data.map((d) => d.name)).toContain("example.com");
    expect(first.output()).toContain("demo@momail.test");
    // The demo key's key.created event, through the local queue to the demo origin's receiver.
    const deadline = Date.now() + 15_000;
    while (!/webhook ← key\.created evt_\w+ \(signature verified\)/.test(first.output()) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(first.output()).toMatch(/webhook ← key\.created evt_\w+ \(signature verified\)/);

    expect(await ctrlC(first)).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/v1/domains`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${originPort}/v1/domains`)).rejects.toThrow();

    const second = await npmStart(env);
    cleanup.push(async () => killGroup(second.child, "SIGKILL"));
    expect(second.key).toBe(first.key);
    expect(await ctrlC(second)).toBe(0);
  }, 180_000);
});
