/**
 * The benchmark's origin: as fast as Node's http module goes, a small JSON
 * answer with keep-alive, so the workers in front of it are what is measured.
 * It runs in its own process, so the benchmark's own work never slows it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";

const BODY = JSON.stringify({ success: true, data: [{ id: "dom_1", name: "example.com", status: "verified" }] });

function serve(): void {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(BODY) });
    res.end(BODY);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
}

/** Starts the origin in a child process on a free loopback port. */
export async function startFastOrigin(): Promise<{ process: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url)], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<string>((resolve) =>
    child.stdout?.once("data", (data: Buffer) => resolve(data.toString().trim())),
  );
  return { process: child, url: `http://127.0.0.1:${port}` };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) serve();
