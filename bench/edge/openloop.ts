/**
 * Open-loop load: requests sent at a fixed rate whatever the answers, as a
 * customer's clients send them, not as fast as the gateway answers (the
 * question is what a request waits, not how many fit). Each request's
 * latency runs from the moment it was due to be sent to the end of its
 * answer, so a stall of the machine or the gateway counts in full for every
 * request it delayed (no coordinated omission). Keep-alive connections over
 * loopback, opened as needed.
 */
import { Agent, request } from "node:http";

export interface OpenLoopOptions {
  /** The router's base URL. */
  url: string;
  path: string;
  /** Requests per second. */
  rate: number;
  seconds: number;
  /** Keys, one picked at random per request. */
  keys: string[];
  headers?: Record<string, string>;
}

export interface OpenLoopResult {
  sent: number;
  /** Latencies of the answered requests, ms, sorted. */
  latencies: number[];
  statuses: Record<number, number>;
  errors: number;
  /** Requests answered per second over the run. */
  rate: number;
}

/** Runs the load; resolves once every request sent has been answered (or failed). */
export async function openLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const target = new URL(options.path, options.url);
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  let sent = 0;
  const pending: Promise<void>[] = [];
  const send = (due: number) =>
    new Promise<void>((resolve) => {
      const key = options.keys[Math.floor(Math.random() * options.keys.length)] as string;
      const req = request(
        target,
        { agent, method: "GET", headers: { ...options.headers, "x-api-key": key } },
        (res) => {
          res.resume();
          res.on("end", () => {
            latencies.push(performance.now() - due);
            statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
            resolve();
          });
        },
      );
      req.on("error", () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const start = performance.now();
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  while (sent < total) {
    const now = performance.now();
    // Every request due by now goes out now; its latency counts from when it was due.
    while (sent < total && start + sent * interval <= now) {
      pending.push(send(start + sent * interval));
      sent++;
    }
    const next = start + sent * interval - performance.now();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.floor(next))));
  }
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { sent, latencies, statuses, errors, rate: latencies.length / elapsed };
}
