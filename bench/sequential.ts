/**
 * A closed-loop client: one request at a time on one keep-alive connection
 * (Node's http), each with its own X-Request-Id, recording every request's
 * own latency. Unlike wrk, whose percentiles are corrected for coordinated
 * omission (one stalled request counts as the many an open-loop client would
 * have sent meanwhile), each sample here is one real request.
 */
import { Agent, request } from "node:http";

export interface Sample {
  id: string;
  start: number;
  ms: number;
}

/** Sequential requests for `seconds`; each request's start (epoch ms) and latency (ms). */
export async function sequential(url: string, keys: string[] | undefined, seconds: number): Promise<Sample[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(`${url}/v1/domains`);
  const samples: Sample[] = [];
  const end = Date.now() + seconds * 1000;
  let n = 0;
  while (Date.now() < end) {
    const id = `tail-${process.pid}-${++n}`;
    const headers: Record<string, string> = { "x-request-id": id };
    if (keys) headers["x-api-key"] = keys[Math.floor(Math.random() * keys.length)] as string;
    const start = Date.now();
    const t0 = process.hrtime.bigint();
    await new Promise<void>((resolve, reject) => {
      const req = request(target, { agent, headers }, (res) => {
        res.resume();
        res.on("end", resolve);
      });
      req.on("error", reject);
      req.end();
    });
    samples.push({ id, start, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
  }
  agent.destroy();
  return samples;
}
