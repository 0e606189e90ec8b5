import { describe, expect, it } from "vitest";
import { gateway } from "./support/helpers";

describe("the admin API reference", () => {
  it("renders the OpenAPI document as a page at /admin/docs, without the token", async () => {
    const response = await gateway("/admin/docs");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await response.text();
    expect(html).toContain("/admin/openapi.json");
    expect(html).toContain("MoMail gateway admin API");
  });
});
