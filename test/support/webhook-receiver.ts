/**
 * A real webhook receiver for the tests (Node's http module on 127.0.0.1),
 * standing in for an account's endpoint. `POST /hooks/{name}` records the
 * delivery (headers and raw body) and answers 200, or misbehaves on demand:
 * `?fail=N` answers the first N deliveries to that name with 500 (or
 * `&status=…`), `?hang=1` never answers. `GET /__hooks/{name}` lists what a
 * name received, oldest first.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedHook {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** What the receiver answered (0 when it never did). */
  status: number;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Starts the receiver on a free port. */
export async function startWebhookReceiver(): Promise<{ server: Server; port: number }> {
  const received = new Map<string, ReceivedHook[]>();
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://receiver");
      const [, kind, name = ""] = url.pathname.split("/");
      if (kind === "__hooks") {
        const text = JSON.stringify(received.get(name) ?? []);
        res.writeHead(200, { "content-type": "application/json" });
        return res.end(text);
      }
      const body = await readBody(req);
      const list = received.get(name) ?? [];
      received.set(name, list);
      const fail = Number(url.searchParams.get("fail") ?? 0);
      const hook: ReceivedHook = { headers: req.headers, body, status: 0 };
      list.push(hook);
      if (url.searchParams.get("hang")) return;
      hook.status = list.length <= fail ? Number(url.searchParams.get("status") ?? 500) : 200;
      res.writeHead(hook.status, { "content-type": "text/plain" });
      res.end(hook.status === 200 ? "ok" : "nope");
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}
