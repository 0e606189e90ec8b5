/**
 * The admin API reference at /admin/docs: the OpenAPI document rendered on
 * the server as a plain page, on the dashboard's origin, so it loads no
 * script at all and nothing from elsewhere, under a CSP that allows only its
 * own stylesheet.
 */
import { describe, expect, it } from "vitest";
import { gateway } from "../support/helpers";

type Operation = { summary?: string; responses: Record<string, unknown> };

async function reference() {
  const response = await gateway("/admin/docs");
  return { response, html: await response.text() };
}

describe("the admin API reference", () => {
  it("renders the OpenAPI document as a page at /admin/docs, without the token", async () => {
    const { response, html } = await reference();
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain("MoMail gateway admin API");
    expect(html).toContain('href="/admin/openapi.json"');
  });

  it("loads no script and nothing from another origin", async () => {
    const { html } = await reference();
    expect(html).not.toMatch(/<script\b/i);
    expect(html).not.toMatch(/<(link|img|iframe|object|embed)\b/i);
    expect(html).not.toMatch(/\s(src|srcset)=/i);
    expect(html).not.toMatch(/(href|action)="(https?:)?\/\//i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/\sstyle=/i);
  });

  it("carries a CSP that allows only its own stylesheet: no script, no framing, no <base>, no form", async () => {
    const { response, html } = await reference();
    const csp = response.headers.get("content-security-policy") ?? "";
    const nonce = /style-src 'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    const directives = csp.split(";").map((d) => d.trim());
    expect(directives).toContain("default-src 'none'");
    expect(directives).toContain(`style-src 'nonce-${nonce}'`);
    expect(directives).toContain("frame-ancestors 'none'");
    expect(directives).toContain("base-uri 'none'");
    expect(directives).toContain("form-action 'none'");
    expect(csp).not.toMatch(/script-src|unsafe-|https?:|\*/);
    const styles = html.match(/<style\b[^>]*>/g) ?? [];
    expect(styles.length).toBeGreaterThan(0);
    for (const tag of styles) expect(tag).toContain(`nonce="${nonce}"`);
    expect(response.headers.get("x-frame-options")).toBe("DENY");
  });

  it("describes every operation of the document, with its fields and its responses", async () => {
    const doc = (await (await gateway("/admin/openapi.json")).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    const { html } = await reference();
    const operations = Object.entries(doc.paths).flatMap(([path, byMethod]) =>
      Object.entries(byMethod).map(([method, operation]) => ({ path, method, operation })),
    );
    expect(operations.length).toBeGreaterThan(10);
    for (const { path, method, operation } of operations) {
      expect(html).toContain(`${method.toUpperCase()} /admin${path}`);
      expect(operation.summary, `${method} ${path}`).toBeTruthy();
      expect(html).toContain(operation.summary?.replaceAll("'", "&#39;"));
    }
    expect(html).toContain("gracePeriodSeconds");
    expect(html).toContain("windowSeconds");
    expect(html).toContain("The key was already rotated out");
    expect(html).toContain('href="#schema-RateLimit"');
    expect(html).toContain('id="schema-RateLimit"');
  });
});
