/**
 * How the dashboard answers when something goes wrong: an HTML page with the
 * right status, never the API's JSON envelope and never a stack trace. A
 * refused CSRF check is a 403, an unknown page or a key outside the user's
 * account a 404; anything unexpected is a logged 500 that names nothing.
 */

import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../app-env";
import { ApiError, isStorageError } from "../errors";
import { logError } from "../log";
import { ErrorPage } from "./pages/error";
import { pageContext, renderPage } from "./render";

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
  413: { title: "Too much data", message: "The form sent more data than the dashboard accepts." },
  500: { title: "Something went wrong", message: "We could not complete this. Please try again in a moment." },
  503: {
    title: "Temporarily unavailable",
    message: "We could not complete this just now. Nothing was changed; please try again.",
  },
};

/** The error page for `status`, with optional response headers (e.g. Allow). */
export function renderError(
  c: Context<AppEnv>,
  status: ContentfulStatusCode,
  headers: Record<string, string> = {},
): Promise<Response> {
  const text = PAGES[status] ?? (PAGES[500] as { title: string; message: string });
  return renderPage(c, <ErrorPage page={pageContext(c)} status={status} {...text} />, status, headers);
}

function statusOf(error: unknown): ContentfulStatusCode {
  if (error instanceof ApiError || error instanceof HTTPException) {
    if (error.status in PAGES) return error.status as ContentfulStatusCode;
  }
  return isStorageError(error) ? 503 : 500;
}

/** The dashboard's onError: every failure as an HTML error page. */
export const dashboardErrors: ErrorHandler<AppEnv> = (error, c) => {
  const status = statusOf(error);
  if (status >= 500) logError(c.var.requestId, error);
  return renderError(c, status);
};
