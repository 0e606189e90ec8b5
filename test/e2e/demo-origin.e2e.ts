/**
 * The demo origin as a program (`node examples/origin/server.ts`): it has no
 * default signing secret, so started without a usable one it must stop at
 * once with a message naming the variable, rather than serve with a public
 * secret. A Node test: the workers tests cannot start processes.
 */
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";

/** Runs the demo origin with `env` on a free port; resolves with its exit code and stderr (or kills it after 10 s). */
function runDemoOrigin(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const { ORIGIN_SIGNING_SECRET: _, ...inherited } = process.env;
  const child = spawn(process.execPath, ["examples/origin/server.ts"], {
    env: { ...inherited, PORT: "0", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  return new Promise((resolve) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    }),
  );
}

describe("the demo origin program", () => {
  it("exits with a clear message when ORIGIN_SIGNING_SECRET is not set", async () => {
    const { code, stderr } = await runDemoOrigin({});
    expect(code).toBe(1);
    expect(stderr).toContain("ORIGIN_SIGNING_SECRET is not set");
  });

  it.each([
    ["the public development default", "dev-only-origin-signing-secret", "public development default"],
    ["a secret shorter than 32 characters", "too-short", "at least 32 characters"],
  ])("exits with a clear message when given %s", async (_, secret, message) => {
    const { code, stderr } = await runDemoOrigin({ ORIGIN_SIGNING_SECRET: secret });
    expect(code).toBe(1);
    expect(stderr).toContain(message);
    expect(stderr).not.toContain("    at ");
  });
});
