/**
 * The time a Durable Object cannot hibernate (src/gate/busy.ts): calls and
 * background work open, overlapping ones counted once; the clock is set, not waited on.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { BusyTime } from "../../src/gate/busy";

const T0 = 1_800_000_000_000;

afterEach(() => {
  vi.useRealTimers();
});

/** A task that stays open until `end()`. */
function openTask() {
  let end = () => {};
  const done = new Promise<void>((resolve) => {
    end = resolve;
  });
  return { work: () => done, end };
}

describe("busy time", () => {
  it("counts overlapping calls once, background work as time but not as calls, and idle time not at all", async () => {
    vi.useFakeTimers({ now: T0 });
    const busy = new BusyTime();
    const first = openTask();
    const background = openTask();
    const running = [busy.run(first.work), busy.run(background.work, false)];
    vi.setSystemTime(T0 + 30);
    first.end();
    vi.setSystemTime(T0 + 50);
    background.end();
    await Promise.all(running);
    vi.setSystemTime(T0 + 1_000);
    expect(busy.take(T0 + 1_000)).toEqual({ busyMs: 50, calls: 1 });
    expect(busy.take(T0 + 2_000)).toEqual({ busyMs: 0, calls: 0 });
  });

  it("reports a call still open up to the time taken, and the rest at the next take", async () => {
    vi.useFakeTimers({ now: T0 });
    const busy = new BusyTime();
    const call = openTask();
    const running = busy.run(call.work);
    expect(busy.take(T0 + 400)).toEqual({ busyMs: 400, calls: 1 });
    vi.setSystemTime(T0 + 700);
    call.end();
    await running;
    expect(busy.take(T0 + 900)).toEqual({ busyMs: 300, calls: 0 });
  });
});
