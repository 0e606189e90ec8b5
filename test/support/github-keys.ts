/**
 * A stand-in for GitHub's secret-scanning public keys endpoint (Node's http
 * module on 127.0.0.1). `GET /meta/public_keys/secret_scanning` answers the
 * current list as GitHub does and counts the fetches; `GET
 * /meta/public_keys/failing` always answers 503, counted apart (a list that
 * cannot be fetched). Tests set the list with `PUT /__keys`
 * (`{"public_keys": [...]}`) and read the counts at `GET /__fetches`. The
 * tests generate the key pairs and sign the reports.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Starts the stand-in on a free port. */
export async function startGithubKeys(): Promise<{ server: Server; port: number }> {
  let list = { public_keys: [] as unknown[] };
  let fetches = 0;
  let failing = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (req.method === "PUT" && req.url === "/__keys") {
        list = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        return send(200, { ok: true });
      }
      if (req.url === "/__fetches") return send(200, { fetches, failing });
      if (req.method === "GET" && req.url === "/meta/public_keys/failing") {
        failing++;
        return send(503, { message: "Service Unavailable" });
      }
      if (req.method === "GET" && req.url === "/meta/public_keys/secret_scanning") {
        fetches++;
        return send(200, list);
      }
      send(404, { message: "Not Found" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
