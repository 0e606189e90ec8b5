/**
 * How the dashboard answers when something goes wrong: an HTML page with the
 * right status, never the API's JSON envelope and never a stack trace. A
 * refused CSRF check is a 403, an unknown page or a key outside the user's
 * account a 404, a conflict (a 409 the routes did not answer themselves) a
 * page with its message; anything unexpected is a logged 500 that names
 * nothing. Errors are ApiErrors, as everywhere else; `toApiError` (the
 * gateway's one mapping) says which status anything else is.
 */

import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../app-env";
import { ApiError, type ErrorCode, toApiError } from "../errors";
import { logError } from "../log";
import { ErrorPage } from "./ui/error-page";
import { pageContext, renderPage } from "./ui/render";

const PAGES: Record<number, { title: string; message: string }> = {
  400: { title: "That request could not be read", message: "Go back, reload the page and try again." },
  403: {
    title: "This form could not be accepted",
    message: "It expired, or it was sent from another site. Go back, reload the page and try again.",
  },
  404: {
    title: "Page not found",
    message: "There is nothing here. If you followed a link to a key, it may have been deleted already.",
  },
  405: { title: "Method not allowed", message: "This page cannot be used that way." },
  409: { title: "This change could not be made", message: "Nothing was changed." },
  413: { title: "Too much data", message: "The form sent more data than the dashboard accepts." },
  500: { title: "Something went wrong", message: "We could not complete this. Please try again in a moment." },
  503: {
    title: "Temporarily unavailable",
    message: "We could not complete this just now. Nothing was changed; please try again.",
  },
};

/** Whether `error` is an ApiError of `code`: a refusal a page answers itself, with its form again. */
export const isApiError = (error: unknown, code: ErrorCode): error is ApiError =>
  error instanceof ApiError && error.code === code;

/** The error page for `status`, with optional response headers (e.g. Allow) and a message of its own. */
export function renderError(
  c: Context<AppEnv>,
  status: ContentfulStatusCode,
  headers: Record<string, string> = {},
  message?: string,
): Promise<Response> {
  const text = PAGES[status] ?? (PAGES[500] as { title: string; message: string });
  const page = <ErrorPage page={pageContext(c)} status={status} title={text.title} message={message ?? text.message} />;
  return renderPage(c, page, status, headers);
}

/** Any failure as an ApiError; Hono's own csrf() refuses a foreign Origin with an HTTPException 403. */
function asApiError(error: unknown, env: Env): ApiError {
  if (error instanceof HTTPException && error.status === 403) return new ApiError("FORBIDDEN", "Foreign origin");
  return toApiError(error, env);
}

/** The dashboard's onError: every failure as an HTML error page. */
export const dashboardErrors: ErrorHandler<AppEnv> = (error, c) => {
  const apiError = asApiError(error, c.env);
  const status = (apiError.status in PAGES ? apiError.status : 500) as ContentfulStatusCode;
  if (status >= 500) logError(c.var.requestId, error);
  // A conflict's message is written for the user (e.g. "This key was rotated out…"); others name internals.
  return renderError(c, status, {}, apiError.code === "CONFLICT" ? apiError.message : undefined);
};
