/**
 * Accessibility checks in the browser tests: axe-core (the npm package),
 * evaluated in the page through playwright-core (DevTools evaluation, so the
 * dashboard's strict CSP stays on), run against WCAG 2.x A and AA and axe's
 * best practices. A violation fails the test with its rule, impact and the
 * elements at fault.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AxeResults } from "axe-core";
import type { Page } from "playwright-core";

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"];

/** axe's violations on the page as it is now, one line each: "rule (impact): selectors". */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  const results = (await page.evaluate(
    (tags) =>
      (globalThis as unknown as { axe: { run: (o: unknown) => Promise<unknown> } }).axe.run({
        runOnly: { type: "tag", values: tags },
      }),
    TAGS,
  )) as AxeResults;
  if (results.passes.length === 0) throw new Error("axe checked nothing: is the page empty?");
  return results.violations.map(
    (violation) =>
      `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((node) => node.target.join(" ")).join(", ")}`,
  );
}
