/**
 * The console, captured: each line the code under test writes during a test
 * goes to `push` instead of the terminal (for tests of what is logged).
 * Registers the spies before each test of the file and removes them after it.
 */
import { afterEach, beforeEach, vi } from "vitest";

const LEVELS = ["log", "info", "warn", "error", "debug"] as const;

export function captureConsole(push: (line: string) => void): void {
  beforeEach(() => {
    for (const level of LEVELS) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "));
      });
    }
  });
  afterEach(() => vi.restoreAllMocks());
}
