/**
 * What the gateway's log functions write (src/log.ts), in Node: a failed
 * query shows its SQL and never its parameters, and a logged route never
 * holds anything shaped like a key. What a whole request logs is
 * observability.test.ts (workers).
 */
import { DrizzleQueryError } from "drizzle-orm/errors";
import { beforeEach, describe, expect, it } from "vitest";
import { storageUnavailable } from "../../src/errors";
import { logError, route } from "../../src/log";
import { captureConsole } from "../support/console-lines";

let lines: string[] = [];
beforeEach(() => {
  lines = [];
});
captureConsole((line) => lines.push(line));

describe("request logs", () => {
  it("log a failed query's SQL, never its parameters (emails, hashes)", () => {
    const params = ["someone@example.com", "pbkdf2-sha256$100000$salt$hash"];
    const failed = new DrizzleQueryError("insert into users values (?, ?)", params, new Error("D1_ERROR: disk full"));
    logError("req-1", storageUnavailable(failed));
    const logged = lines.join("\n");
    expect(logged).toContain("insert into users values (?, ?)");
    expect(logged).toContain("D1_ERROR: disk full");
    for (const param of params) expect(logged).not.toContain(param);
  });

  it("redact anything shaped like a key from the logged route", () => {
    expect(route("https://api.momail.io/v1/keys/mk_abcd1234_0000000000000000004Bd7Ij/x?k=1")).toBe(
      "/v1/keys/mk_[redacted]/x",
    );
  });
});
