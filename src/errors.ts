/**
 * One error type and one envelope (CONTRACT §3). Anything that fails throws an
 * ApiError; `errorResponse` turns it into
 * `{"success": false, "error": {"code", "message"}}` with the code's status.
 * Unexpected exceptions become a 500 that names nothing internal.
 */
import { DrizzleQueryError } from "drizzle-orm/errors";
import { HTTPException } from "hono/http-exception";
import { ConfigError } from "./config";

export const STATUS_BY_CODE = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  QUOTA_EXCEEDED: 429,
  INTERNAL_ERROR: 500,
  BAD_GATEWAY: 502,
  SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
} as const;

export type ErrorCode = keyof typeof STATUS_BY_CODE;

const DEFAULT_MESSAGES: Record<ErrorCode, string> = {
  BAD_REQUEST: "Bad request",
  UNAUTHORIZED: "Unauthorized",
  FORBIDDEN: "This API key does not have the scope this route needs",
  NOT_FOUND: "Not found",
  METHOD_NOT_ALLOWED: "Method not allowed",
  CONFLICT: "Conflict",
  PAYLOAD_TOO_LARGE: "Request body too large",
  IDEMPOTENCY_KEY_REUSED: "This Idempotency-Key was already used with another request",
  RATE_LIMITED: "Rate limit exceeded",
  QUOTA_EXCEEDED: "Quota exceeded for this period",
  INTERNAL_ERROR: "Internal error",
  BAD_GATEWAY: "The origin could not be reached",
  SERVICE_UNAVAILABLE: "Service temporarily unavailable",
  GATEWAY_TIMEOUT: "The origin did not answer in time",
};

/** The one message every refused key gets, whatever the reason (CONTRACT §1). */
export const INVALID_KEY_MESSAGE = "Invalid or missing API key";

/** An error the gateway answers with its documented envelope. */
export class ApiError extends Error {
  readonly status: (typeof STATUS_BY_CODE)[ErrorCode];

  constructor(
    readonly code: ErrorCode,
    message: string = DEFAULT_MESSAGES[code],
    /** Extra response headers, e.g. Allow on 405 or Retry-After on 429. */
    readonly headers: Record<string, string> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ApiError";
    this.status = STATUS_BY_CODE[code];
  }
}

/** The envelope for `error` as a Response, with X-Request-Id, Cache-Control: no-store on 401/403/429 and Retry-After on 503. */
export function errorResponse(error: ApiError, requestId: string, extraHeaders?: Record<string, string>): Response {
  const headers: Record<string, string> = {
    ...extraHeaders,
    ...error.headers,
    "Content-Type": "application/json",
    "X-Request-Id": requestId,
  };
  if (error.status === 401 || error.status === 403 || error.status === 429) headers["Cache-Control"] = "no-store";
  // A 503 is transient by definition: tell clients when to come back.
  if (error.status === 503) headers["Retry-After"] ??= "1";
  const body = JSON.stringify({ success: false, error: { code: error.code, message: error.message } });
  return new Response(body, { status: error.status, headers });
}

/** Hono's own exceptions (validators, body parsing) as envelope errors. */
function fromHttpException(error: HTTPException): ApiError {
  if (error.status === 415) return new ApiError("BAD_REQUEST", "body: must be JSON (Content-Type: application/json)");
  if (error.status === 400) {
    const malformed = /malformed json/i.test(error.message);
    return new ApiError("BAD_REQUEST", malformed ? "body: is not valid JSON" : `body: ${error.message}`);
  }
  if (error.status === 413) return new ApiError("PAYLOAD_TOO_LARGE");
  if (error.status === 401) return new ApiError("UNAUTHORIZED");
  if (error.status === 404) return new ApiError("NOT_FOUND");
  return new ApiError("INTERNAL_ERROR");
}

/**
 * Whether `error` came from D1 (through Drizzle or not). D1 is the source of
 * truth, so a failure there is the gateway's, and the caller may retry.
 */
export function isStorageError(error: unknown): boolean {
  if (error instanceof DrizzleQueryError) return true;
  return error instanceof Error && /^D1_[A-Z_]*ERROR\b/.test(error.message);
}

/**
 * The one 503: the gateway's own storage or account gate failed, `cause` says
 * how (it is logged, never answered). Retry-After is added by errorResponse.
 */
export function serviceUnavailable(cause: unknown, message?: string): ApiError {
  return new ApiError("SERVICE_UNAVAILABLE", message, {}, { cause });
}

/** The 503 of a request that failed on D1: no write of the request was half-done, a retry is safe. */
export function storageUnavailable(error: unknown): ApiError {
  return serviceUnavailable(error, "Storage is temporarily unavailable; nothing was changed, retry the request");
}

/** Any thrown value as the ApiError to answer with; nothing internal leaks into the message. */
export function toApiError(error: unknown, env: { ENVIRONMENT?: string }): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) return fromHttpException(error);
  if (error instanceof ConfigError) {
    // The variable's name helps a developer; in production it stays in the logs.
    return new ApiError(
      "INTERNAL_ERROR",
      env.ENVIRONMENT === "development" ? error.message : "The gateway is misconfigured",
    );
  }
  if (isStorageError(error)) return storageUnavailable(error);
  return new ApiError("INTERNAL_ERROR");
}
