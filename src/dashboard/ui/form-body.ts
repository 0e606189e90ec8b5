/**
 * Reading a form's body, as every form of the dashboard posts it
 * (urlencoded or multipart): its fields by name, and a field's value as the
 * text the parsers want. A body that cannot be read as a form is a 400
 * ApiError, not a 500; a file where text was expected reads as "", so the
 * form's own validation answers it.
 */
import type { Context } from "hono";
import { ApiError } from "../../errors";

/** The request's form fields (Hono keeps the parsed body, so reading it again costs nothing). */
export async function readForm(c: Context): Promise<Record<string, unknown>> {
  try {
    return await c.req.parseBody();
  } catch (error) {
    throw new ApiError("BAD_REQUEST", "The form body could not be read", {}, { cause: error });
  }
}

/** A field's value as text: "" when it is absent or a file. */
export const textOf = (value: unknown): string => (typeof value === "string" ? value : "");
