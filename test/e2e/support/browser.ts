/**
 * The browser of the end-to-end tests: Debian's Chromium, driven by
 * playwright-core (which downloads no browser of its own). When Chromium is
 * missing, the browser tests are skipped with a warning on a developer's
 * machine, but run (and fail) in CI, where .ci/run installs it.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Whether to skip the browser tests: Chromium is missing and this is not CI. */
export function skipWithoutChromium(): boolean {
  if (existsSync(CHROMIUM_PATH) || process.env.CI) return false;
  console.warn(
    `\n⚠ Skipping the browser tests: no Chromium at ${CHROMIUM_PATH}.` +
      "\n  Install it with `apt-get install chromium` (or set CHROMIUM_PATH). In CI they always run.\n",
  );
  return true;
}

/** A headless Chromium. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/**
 * Where screenshots go: test-results/screenshots (ignored by git), or the
 * folder in SCREENSHOTS_DIR; `npm run screenshots` refreshes docs/screenshots.
 */
export const SCREENSHOTS_DIR = process.env.SCREENSHOTS_DIR ?? join("test-results", "screenshots");

/** Saves a full-page PNG of the page as `{name}.png` in SCREENSHOTS_DIR. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}.png`), fullPage: true, animations: "disabled" });
}
