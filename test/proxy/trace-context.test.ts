/**
 * W3C Trace Context at the origin (CONTRACT §2): the origin receives a
 * `traceparent` with the caller's trace-id and a parent-id of the gateway's
 * own, and the caller's `tracestate` unchanged; a missing or malformed
 * `traceparent` is replaced by a new valid one (and a `tracestate` beside it
 * dropped, as the spec requires). The log line's `traceId`:
 * test/app/observability.test.ts.
 */
import { describe, expect, it } from "vitest";
import { parseTraceparent } from "../../src/trace";
import { accountWithKey, call, type OriginRecord } from "../support/helpers";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID = "00f067aa0ba902b7";
const VALID = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;

/** What the origin received for one request with these headers. */
async function atOrigin(headers: Record<string, string>): Promise<{ traceparent: string; tracestate?: string }> {
  const { key } = await accountWithKey();
  const response = await call(key.key, "/v1/domains", { headers });
  expect(response.status).toBe(200);
  const seen = (await response.json()) as OriginRecord;
  expect(seen.signature).toBe("ok");
  return { traceparent: seen.headers.traceparent as string, tracestate: seen.headers.tracestate };
}

/** The parts of a traceparent the origin received, checked valid. */
function partsOf(traceparent: string) {
  const match = VALID.exec(traceparent);
  expect(match, traceparent).not.toBeNull();
  const [, traceId = "", parentId = "", flags = ""] = match as RegExpExecArray;
  expect(traceId).not.toBe("0".repeat(32));
  expect(parentId).not.toBe("0".repeat(16));
  return { traceId, parentId, flags };
}

describe("a valid traceparent", () => {
  it("reaches the origin with the caller's trace-id, a new parent-id of the gateway's own, and tracestate unchanged", async () => {
    const tracestate = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7";
    const first = await atOrigin({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate });
    const second = await atOrigin({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate });
    const [a, b] = [partsOf(first.traceparent), partsOf(second.traceparent)];
    expect(a).toEqual({ traceId: TRACE_ID, parentId: expect.any(String), flags: "01" });
    expect(a.parentId).not.toBe(PARENT_ID);
    expect(b.parentId).not.toBe(a.parentId);
    expect(first.tracestate).toBe(tracestate);
  });

  it("keeps the caller's sampled flag, and sends the flags level 1 does not define as zero", async () => {
    for (const [flags, sent] of [
      ["00", "00"],
      ["01", "01"],
      ["03", "01"],
      ["02", "00"],
      ["ff", "01"],
    ]) {
      const { traceparent } = await atOrigin({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-${flags}` });
      expect(partsOf(traceparent), flags).toMatchObject({ traceId: TRACE_ID, flags: sent });
    }
  });

  it("of a later version is read by the spec's rules and passed on as version 00", async () => {
    for (const header of [
      `01-${TRACE_ID}-${PARENT_ID}-01`,
      `cc-${TRACE_ID}-${PARENT_ID}-01-what-the-future-holds`,
      `fe-${TRACE_ID}-${PARENT_ID}-00-`,
    ]) {
      const { traceparent, tracestate } = await atOrigin({ traceparent: header, tracestate: "k=v" });
      expect(partsOf(traceparent).traceId, header).toBe(TRACE_ID);
      expect(traceparent).toHaveLength(55);
      expect(tracestate).toBe("k=v");
    }
  });
});

describe("a missing or malformed traceparent", () => {
  const malformed: Array<[string, string]> = [
    ["uppercase hex", `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`],
    ["an uppercase parent-id", `00-${TRACE_ID}-00F067AA0BA902B7-01`],
    ["uppercase flags", `00-${TRACE_ID}-${PARENT_ID}-0A`],
    ["a short trace-id", `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`],
    ["a long trace-id", `00-${TRACE_ID}0-${PARENT_ID}-01`],
    ["a short parent-id", `00-${TRACE_ID}-${PARENT_ID.slice(1)}-01`],
    ["one flag digit", `00-${TRACE_ID}-${PARENT_ID}-1`],
    ["an all-zero trace-id", `00-${"0".repeat(32)}-${PARENT_ID}-01`],
    ["an all-zero parent-id", `00-${TRACE_ID}-${"0".repeat(16)}-01`],
    ["version ff", `ff-${TRACE_ID}-${PARENT_ID}-01`],
    ["version 00 with more after its flags", `00-${TRACE_ID}-${PARENT_ID}-01-extra`],
    ["a version that is not hex", `0g-${TRACE_ID}-${PARENT_ID}-01`],
    ["a later version whose flags run on", `01-${TRACE_ID}-${PARENT_ID}-01extra`],
    ["two headers in one", `00-${TRACE_ID}-${PARENT_ID}-01, 00-${TRACE_ID}-${PARENT_ID}-01`],
    ["other separators", `00_${TRACE_ID}_${PARENT_ID}_01`],
    ["nothing", ""],
    ["junk", "not a traceparent"],
  ];

  it.each(malformed)("is replaced by a new valid one: %s", async (_, header) => {
    const { traceparent, tracestate } = await atOrigin({ traceparent: header, tracestate: "congo=t61rcWkgMzE" });
    const { traceId, flags } = partsOf(traceparent);
    expect(traceId).not.toBe(TRACE_ID);
    expect(flags).toBe("01");
    expect(tracestate).toBeUndefined();
  });

  it("is replaced when absent, a new trace for every request", async () => {
    const first = partsOf((await atOrigin({})).traceparent);
    const second = partsOf((await atOrigin({})).traceparent);
    expect(first.traceId).not.toBe(second.traceId);
    expect(first.flags).toBe("01");
  });
});

describe("parseTraceparent", () => {
  it("reads the spec's own examples", () => {
    expect(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-01`)).toEqual({ traceId: TRACE_ID, sampled: true });
    expect(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-00`)).toEqual({ traceId: TRACE_ID, sampled: false });
    expect(parseTraceparent(null)).toBeNull();
  });
});
