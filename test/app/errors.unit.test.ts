/**
 * The one place that turns errors into responses (src/errors.ts), in Node:
 * which code each kind of failure gets, and the headers of the envelope.
 * The envelope as clients receive it, route by route, is errors.test.ts
 * (workers).
 */
import { DrizzleQueryError } from "drizzle-orm/errors";
import { HTTPException } from "hono/http-exception";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config";
import { ApiError, errorResponse, toApiError } from "../../src/errors";

const development = { ENVIRONMENT: "development" };
const production = { ENVIRONMENT: "production" };
const codeOf = (error: unknown, env = production) => toApiError(error, env).code;

describe("toApiError", () => {
  it("keeps an ApiError as it is", () => {
    const error = new ApiError("RATE_LIMITED", "Rate limit exceeded", { "Retry-After": "3" });
    expect(toApiError(error, production)).toBe(error);
  });

  it("maps Hono's exceptions: a wrong content type or bad JSON to 400 naming the body, then 413, 401, 404, else 500", () => {
    expect(toApiError(new HTTPException(415), production)).toMatchObject({
      code: "BAD_REQUEST",
      message: "body: must be JSON (Content-Type: application/json)",
    });
    expect(toApiError(new HTTPException(400, { message: "Malformed JSON in request body" }), production)).toMatchObject(
      { code: "BAD_REQUEST", message: "body: is not valid JSON" },
    );
    expect(codeOf(new HTTPException(413))).toBe("PAYLOAD_TOO_LARGE");
    expect(codeOf(new HTTPException(401))).toBe("UNAUTHORIZED");
    expect(codeOf(new HTTPException(404))).toBe("NOT_FOUND");
    expect(codeOf(new HTTPException(418))).toBe("INTERNAL_ERROR");
  });

  it("names a misconfigured variable in development only", () => {
    const error = new ConfigError("Invalid configuration: UPSTREAM_URL: must be an absolute http(s) URL");
    expect(toApiError(error, development)).toMatchObject({ code: "INTERNAL_ERROR", message: error.message });
    expect(toApiError(error, production)).toMatchObject({
      code: "INTERNAL_ERROR",
      message: "The gateway is misconfigured",
    });
  });

  it("answers a D1 failure, through Drizzle or not, with the 503 that says a retry is safe", () => {
    const raw = new Error("D1_ERROR: Network connection lost.");
    const wrapped = new DrizzleQueryError("select 1", [], raw);
    for (const error of [raw, wrapped]) {
      expect(toApiError(error, production)).toMatchObject({
        code: "SERVICE_UNAVAILABLE",
        status: 503,
        message: expect.stringContaining("nothing was changed"),
      });
    }
  });

  it("hides anything else behind 500 Internal error", () => {
    expect(toApiError(new TypeError("secret detail at table accounts"), development)).toMatchObject({
      code: "INTERNAL_ERROR",
      message: "Internal error",
    });
    expect(codeOf("a thrown string")).toBe("INTERNAL_ERROR");
  });
});

describe("errorResponse", () => {
  it("writes the envelope with the code's status, the request id and the error's own headers", async () => {
    const response = errorResponse(new ApiError("METHOD_NOT_ALLOWED", undefined, { Allow: "POST" }), "req-1");
    expect(response.status).toBe(405);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("x-request-id")).toBe("req-1");
    expect(response.headers.get("allow")).toBe("POST");
    expect(await response.json()).toEqual({
      success: false,
      error: { code: "METHOD_NOT_ALLOWED", message: "Method not allowed" },
    });
  });

  it("marks 401, 403 and 429 no-store, and tells a 503's client when to come back", () => {
    for (const code of ["UNAUTHORIZED", "FORBIDDEN", "RATE_LIMITED", "QUOTA_EXCEEDED"] as const) {
      expect(errorResponse(new ApiError(code), "r").headers.get("cache-control")).toBe("no-store");
    }
    expect(errorResponse(new ApiError("NOT_FOUND"), "r").headers.get("cache-control")).toBeNull();
    expect(errorResponse(new ApiError("SERVICE_UNAVAILABLE"), "r").headers.get("retry-after")).toBe("1");
    const later = new ApiError("SERVICE_UNAVAILABLE", undefined, { "Retry-After": "30" });
    expect(errorResponse(later, "r").headers.get("retry-after")).toBe("30");
  });
});
