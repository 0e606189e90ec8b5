/**
 * What every fuzzed response must satisfy, whatever the input: never a 500,
 * nothing internal in the body (no stack frames, source paths or runtime
 * error names), and for the gateway's own errors the documented JSON
 * envelope (CONTRACT §3) with the status its code stands for.
 */
import fc from "fast-check";
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
 * message}}` and nothing else, the code's own status, not a 500), and
 * returns the error.
 */
export async function expectEnvelope(response: Response, body?: string): Promise<Envelope> {
  const text = body ?? (await response.text());
  expect(response.status, text).not.toBe(500);
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

/** A Latin-1 character a header value may hold: TAB, and 0x01-0xFF but NUL, CR and LF. */
export const latin1Char = fc
  .integer({ min: 1, max: 0xff })
  .filter((code) => code !== 0x0a && code !== 0x0d)
  .map((code) => String.fromCharCode(code));

/** An ASCII character a header value may hold: TAB, controls and printable, but NUL, CR and LF. */
const asciiChar = fc
  .integer({ min: 1, max: 0x7f })
  .filter((code) => code !== 0x0a && code !== 0x0d)
  .map((code) => String.fromCharCode(code));

/**
 * A header value of Latin-1 characters, tabs and obs-text included; one in
 * five has obs-text (0x80-0xFF), as workerd warns on stderr for each of those.
 */
export const latin1String = (maxLength = 64) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: asciiChar, maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: latin1Char, maxLength }) },
  );

/** Printable ASCII, which reaches the Node origin unchanged. */
export const asciiValue = fc
  .string({ unit: "binary-ascii", maxLength: 40 })
  .map((value) => value.replace(/[^\x21-\x7e]/g, "x"));

/** Any UTF-16 code unit, lone surrogates included (fast-check's "binary" unit never makes those). */
export const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));

/** A header name token. */
export const headerName = fc.stringMatching(/^[a-z][a-z0-9-]{0,24}$/);
