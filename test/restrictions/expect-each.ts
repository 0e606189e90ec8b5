/**
 * The restriction rules' tables of cases: each input and what a function
 * must make of it, checked one by one (the input names a failure).
 */
import { expect } from "vitest";

/** Expects `fn(input)` to be `expected` for every `[input, expected]`. */
export function expectEach<I, O>(fn: (input: I) => O, cases: Array<[I, O]>): void {
  for (const [input, expected] of cases) expect(fn(input), JSON.stringify(input)).toBe(expected);
}
