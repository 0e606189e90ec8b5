/**
 * Idempotent requests across isolates (contract §9): the account's own gate
 * claims each Idempotency-Key, so of many identical requests arriving at
 * once at eight isolates, exactly one reaches the origin, whichever isolate
 * and whatever holder served the others; a repeat afterwards is the kept
 * answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { admin, type Edge, originRequests, startEdge } from "./support/edge";

let edge: Edge;
beforeAll(async () => {
  edge = await startEdge();
}, 60_000);
afterAll(() => edge?.stop());

const marker = () => `m${crypto.randomUUID().replaceAll("-", "")}`;

describe("an Idempotency-Key across eight isolates", () => {
  it("lets exactly one of 40 identical concurrent requests reach the origin; the rest are told to retry or get its answer", async () => {
    const account = await admin<{ id: string }>(edge, "POST", "/accounts", { name: "Idempotent" });
    const { key } = await admin<{ key: string }>(edge, "POST", `/accounts/${account.id}/keys`, { name: "sender" });
    const m = marker();
    const send = () =>
      fetch(`${edge.cluster.url}/v1/emails/${m}`, {
        method: "POST",
        headers: { "X-API-Key": key, "Idempotency-Key": `order-${m}`, "Content-Type": "application/json" },
        body: JSON.stringify({ to: "a@example.com", subject: "once" }),
      });
    const responses = await Promise.all(Array.from({ length: 40 }, send));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    for (const response of responses.filter((r) => r.status === 409)) {
      expect(response.headers.get("retry-after")).toBe("1");
    }
    expect(await originRequests(edge, m)).toHaveLength(1);
    const repeat = await send();
    expect(repeat.status).toBe(200);
    expect(repeat.headers.get("idempotent-replayed")).toBe("true");
    expect(await originRequests(edge, m)).toHaveLength(1);
  });
});
