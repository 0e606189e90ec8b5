/**
 * Turning a page component into a response: the doctype, the status, and
 * the request's page context (CSP nonce and session) for the components.
 * Every dashboard response is `Cache-Control: no-store` (set in
 * ../index.ts), so no page, least of all one showing a new key, is kept by
 * a cache.
 */

import type { Context } from "hono";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "../../app-env";
import type { PageContext } from "./layout";

/** The CSP nonce and the session (if signed in) of this request. */
export function pageContext(c: Context<AppEnv>): PageContext {
  return { nonce: c.get("secureHeadersNonce") ?? "", session: c.var.session };
}

/** An HTML response for a rendered page. */
export async function renderPage(
  c: Context<AppEnv>,
  page: HtmlEscapedString | Promise<HtmlEscapedString>,
  status: ContentfulStatusCode = 200,
  headers: Record<string, string> = {},
): Promise<Response> {
  return c.html(await html`<!DOCTYPE html>${page}`, status, headers);
}
