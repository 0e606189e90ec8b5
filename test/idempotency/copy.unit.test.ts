/**
 * The copy of a first idempotent request's answer (src/idempotency/copy.ts),
 * in Node with streams made here: the client gets every byte whatever
 * happens to the copy; the copy is the answer, or "too large", "too slow"
 * (its deadline is an argument: milliseconds here, KEEP_BODY_MS in the
 * gateway) or "failed"; the gateway's own headers are never kept.
 */
import { describe, expect, it } from "vitest";
import { replayOf, teeForKeeping } from "../../src/idempotency/copy";

const encoder = new TextEncoder();

/** A body of `chunks`, `gapMs` apart, that fails after them if `fail` says so. */
function body(chunks: string[], gapMs = 0, fail = false): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream({
    async pull(controller) {
      if (gapMs > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
      if (i < chunks.length) controller.enqueue(encoder.encode(chunks[i++]));
      else if (fail) controller.error(new Error("origin reset"));
      else controller.close();
    },
  });
}

const origin = (stream: ReadableStream<Uint8Array> | null, headers: Record<string, string> = {}) =>
  new Response(stream, { status: 201, statusText: "Created", headers: { "content-type": "text/plain", ...headers } });

describe("the copy of an answer", () => {
  it("is the whole answer, with the origin's headers and none of the gateway's; the client gets the same bytes", async () => {
    const headers = { "x-origin": "1", "x-request-id": "r", "x-ratelimit-remaining": "3", "content-length": "6" };
    const { response, copy } = teeForKeeping(origin(body(["abc", "def"]), headers), 100, 1_000);
    expect(await response.text()).toBe("abcdef");
    const kept = await copy;
    expect(kept.kind).toBe("complete");
    if (kept.kind !== "complete") return;
    expect(kept.answer).toMatchObject({ status: 201, statusText: "Created", body: encoder.encode("abcdef") });
    expect(Object.fromEntries(kept.answer.headers)).toEqual({ "content-type": "text/plain", "x-origin": "1" });
    const replay = replayOf(kept.answer);
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.text()).toBe("abcdef");
  });

  it("is complete before the client reads anything: it is read at the origin's pace", async () => {
    const { copy } = teeForKeeping(origin(body(["a", "b", "c"])), 100, 1_000);
    expect((await copy).kind).toBe("complete");
  });

  it("is dropped past the bound, while the client still gets every byte", async () => {
    const { response, copy } = teeForKeeping(origin(body(["12345", "67890", "abc"])), 8, 1_000);
    expect(await copy).toEqual({ kind: "not_kept", reason: "too_large" });
    expect(await response.text()).toBe("1234567890abc");
  });

  it("is dropped when the body is still coming at its deadline, while the client still gets every byte", async () => {
    const { response, copy } = teeForKeeping(origin(body(["a", "b", "c"], 40)), 100, 60);
    expect(await copy).toEqual({ kind: "not_kept", reason: "too_slow" });
    expect(await response.text()).toBe("abc");
  });

  it("fails with the body: nothing is kept", async () => {
    const { response, copy } = teeForKeeping(origin(body(["a"], 0, true)), 100, 1_000);
    expect(await copy).toEqual({ kind: "failed" });
    await expect(response.text()).rejects.toThrow();
  });

  it("of an answer without a body is an empty body", async () => {
    const { copy } = teeForKeeping(new Response(null, { status: 204 }), 100, 1_000);
    const kept = await copy;
    expect(kept.kind === "complete" && kept.answer).toMatchObject({ status: 204, body: new Uint8Array(0) });
    expect(replayOf((kept as Extract<typeof kept, { kind: "complete" }>).answer).status).toBe(204);
  });
});
