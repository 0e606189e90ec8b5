/**
 * Turns zod validation failures into the 400 `BAD_REQUEST` envelope, with a
 * message that names each offending field, e.g.
 * `name: is required; expiresAt: must be in the future`, and each entry of a
 * list by its index (`allowedIps[2]: …`).
 */
import type { z } from "zod";
import { ApiError } from "../errors";

/** A field's path as it is written in JSON terms: `rateLimit.limit`, `allowedIps[2]`. */
function fieldName(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : `${i > 0 ? "." : ""}${String(part)}`))
    .join("");
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return issue.keys.map((key) => `${key}: is not a known field`).join("; ");
  const field = issue.path.length > 0 ? fieldName(issue.path) : "body";
  if (issue.code === "invalid_type" && /received undefined$/.test(issue.message)) return `${field}: is required`;
  return `${field}: ${issue.message}`;
}

/** One readable sentence for all issues of a failed parse. */
export function describeIssues(error: z.core.$ZodError): string {
  return error.issues.map(describe).join("; ");
}

/** The OpenAPIHono default hook: a failed validation throws the 400 envelope. */
export function validationHook(result: { success: true } | { success: false; error: z.core.$ZodError }): void {
  if (!result.success) throw new ApiError("BAD_REQUEST", describeIssues(result.error));
}
