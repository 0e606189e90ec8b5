/**
 * What every error response of the gateway must satisfy, whatever the input:
 * never a 500, nothing internal in the body (no stack frames, source paths or
 * runtime error names), and the documented JSON envelope (CONTRACT §3) with
 * the status its code stands for.
 */
import { expect } from "vitest";
import { type ErrorCode, STATUS_BY_CODE } from "../../src/errors";

/** Signs of a stack trace or an internal name leaking into a body. */
const LEAKS = [
  /^\s*at\s/m, // a V8 stack frame line
  /\(\S+:\d+:\d+\)/, // "(file:line:col)"
  /\.(?:[cm]?[jt]sx?):\d+/, // "index.ts:12"
  /node_modules|file:\/\/|\/src\/|\bsrc\//,
  /\b(?:TypeError|ReferenceError|RangeError|SyntaxError|ZodError|D1_ERROR|SQLITE_\w+)\b/,
];

/** Fails if `body` looks like it carries a stack trace or an internal name. */
export function expectNoLeak(body: string): void {
  for (const pattern of LEAKS) expect(body, `leak ${pattern}`).not.toMatch(pattern);
}

export interface Envelope {
  code: ErrorCode;
  message: string;
}

/**
 * Checks that `response` is the documented error envelope for its status
 * (JSON content type, `X-Request-Id`, `{"success": false, "error": {code,
 * message}}` and nothing else, the code's own status, not a 500 unless
 * `serverError` says one is expected), and returns the error.
 */
export async function expectEnvelope(
  response: Response,
  body?: string,
  { serverError = false }: { serverError?: boolean } = {},
): Promise<Envelope> {
  const text = body ?? (await response.text());
  if (!serverError) expect(response.status, text).not.toBe(500);
  expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  expect(response.headers.get("x-request-id")).toBeTruthy();
  expectNoLeak(text);
  const parsed = JSON.parse(text) as { success: unknown; error: Envelope };
  expect(Object.keys(parsed).sort()).toEqual(["error", "success"]);
  expect(parsed.success).toBe(false);
  expect(Object.keys(parsed.error).sort()).toEqual(["code", "message"]);
  expect(STATUS_BY_CODE[parsed.error.code], `code ${parsed.error.code}`).toBe(response.status);
  expect(typeof parsed.error.message).toBe("string");
  expect(parsed.error.message.length).toBeGreaterThan(0);
  return parsed.error;
}
