/**
 * Helpers for tests that drive the gateway through its own fetch handler,
 * as a client would: admin calls with the test token, account and key
 * creation, data-plane requests with a key.
 */
import { env, exports } from "cloudflare:workers";
import { getConfig } from "../../src/config";
import { issueKey } from "../../src/keys/issue";
import { countingEnv } from "./counting-env";

export { forgedKey } from "./keys";

export const ADMIN_TOKEN = "test-admin-token";

/** A request to the gateway (URL relative to http://localhost). */
export function gateway(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(new Request(`http://localhost${path}`, init));
}

/**
 * A request through the gateway's own handler with other bindings: `bindings`
 * over the test env (a failing binding, a production variable…).
 */
export function gatewayWith(bindings: Record<string, unknown>, path: string, init?: RequestInit): Promise<Response> {
  return countingEnv(bindings).fetch(path, init);
}

/** An admin API call with the test token and an optional JSON body. */
export function admin(
  method: string,
  path: string,
  body?: unknown,
  token = ADMIN_TOKEN,
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...extraHeaders, Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return gateway(`/admin${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

export interface AccountData {
  id: string;
  name: string;
  rateLimit: { limit: number; windowSeconds: number } | null;
  createdAt: string;
}

export interface KeyData {
  id: string;
  name: string;
  prefix: string;
  key: string;
  scopes: string[];
  rateLimit: { limit: number; windowSeconds: number } | null;
  createdAt: string;
  expiresAt: string | null;
}

async function data<T>(response: Response, status: number): Promise<T> {
  const body = (await response.json()) as { success: boolean; data: T; error?: unknown };
  if (response.status !== status)
    throw new Error(`expected ${status}, got ${response.status}: ${JSON.stringify(body)}`);
  return body.data;
}

export async function createAccount(input: Record<string, unknown> = {}): Promise<AccountData> {
  return data(await admin("POST", "/accounts", { name: "Test account", ...input }), 201);
}

export async function createKey(accountId: string, input: Record<string, unknown> = {}): Promise<KeyData> {
  return data(await admin("POST", `/accounts/${accountId}/keys`, { name: "Test key", ...input }), 201);
}

/** A fresh account with one key. */
export async function accountWithKey(
  keyInput: Record<string, unknown> = {},
  accountInput: Record<string, unknown> = {},
) {
  const account = await createAccount(accountInput);
  const key = await createKey(account.id, keyInput);
  return { account, key };
}

/** A data-plane request with `key` in X-API-Key. */
export function call(key: string, path = "/v1/domains", init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("X-API-Key", key);
  return gateway(path, { ...init, headers });
}

export interface OriginRecord {
  method: string;
  path: string;
  headers: Record<string, string>;
  bodyLength: number;
  bodySha256: string;
  signature: string;
}

/** What the test origin received, for a key id or with a marker in the path. */
export async function originRequests(filter: { keyId?: string; pathContains?: string }): Promise<OriginRecord[]> {
  const query = new URLSearchParams(filter as Record<string, string>);
  const response = await fetch(`http://127.0.0.1:${env.ORIGIN_PORT}/__origin/requests?${query}`);
  return response.json();
}

/** A path marker unique to one test, to find its requests at the origin. */
export const marker = () => `m${crypto.randomUUID().replaceAll("-", "")}`;

/** The `data` of a success envelope. */
export async function dataOf<T = Record<string, unknown>>(response: Response): Promise<T> {
  const body = (await response.json()) as { success: boolean; data: T };
  return body.data;
}

/** The error envelope of a response, checked for shape. */
export async function errorOf(response: Response): Promise<{ code: string; message: string }> {
  const body = (await response.json()) as { success: boolean; error: { code: string; message: string } };
  if (body.success !== false) throw new Error(`not an error envelope: ${JSON.stringify(body)}`);
  return body.error;
}

/** Lowercase hex SHA-256 of bytes. */
export async function sha256(bytes: ArrayBuffer | Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `length` deterministic pseudo-random bytes. */
export function bytes(length: number, seed = 1): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A key the gateway could have issued (its prefix is the MAC of its secret) but never stored. */
export async function unstoredKey(): Promise<string> {
  return (await issueKey(getConfig(env))).key;
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
