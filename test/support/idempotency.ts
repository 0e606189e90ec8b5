/**
 * Helpers for the idempotency tests (test/idempotency): requests with an
 * Idempotency-Key through the gateway's own fetch, and the account gate's
 * row for a key, read straight from its storage.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import type { AccountGate } from "../../src/gate/object";
import type { Entry } from "../../src/idempotency/rules";
import { call, sleep } from "./helpers";

export const gateOf = (accountId: string) => env.RATE_LIMITER.getByName(accountId);

/** A request with `idempotencyKey` (a POST with a small JSON body unless `init` says otherwise). */
export function withKey(
  apiKey: string,
  path: string,
  idempotencyKey: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Idempotency-Key", idempotencyKey);
  if (!headers.has("content-type")) headers.set("Content-Type", "application/json");
  return call(apiKey, path, { method: "POST", body: '{"to":"a@example.com"}', ...init, headers });
}

/** The account gate's entry for an Idempotency-Key (its storage row), or undefined. */
export const entryOf = (accountId: string, key: string) =>
  runInDurableObject(gateOf(accountId), (_: AccountGate, state) => state.storage.kv.get<Entry>(`idempotency:${key}`));

/** Reads the key's entry until `done` says so (at most `timeoutMs`). */
async function watch(
  accountId: string,
  key: string,
  done: (entry?: Entry) => boolean,
  what: string,
  timeoutMs: number,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const entry = await entryOf(accountId, key);
    if (done(entry)) return entry;
    if (Date.now() > deadline) throw new Error(`the Idempotency-Key ${key} is not ${what} after ${timeoutMs} ms`);
    await sleep(25);
  }
}

/**
 * Waits until the first request's outcome has reached the gate (the settle
 * runs in `waitUntil`, after the response): the entry is no longer in flight.
 */
export const settledEntry = (accountId: string, key: string, timeoutMs = 10_000) =>
  watch(accountId, key, (entry) => entry?.state !== "in_flight", "settled", timeoutMs);

/** Waits until the gate holds a mark for the key (its first request has been claimed). */
export const markedEntry = (accountId: string, key: string, timeoutMs = 10_000) =>
  watch(accountId, key, (entry) => entry !== undefined, "marked", timeoutMs) as Promise<Entry>;
