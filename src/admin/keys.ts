/**
 * Admin routes for an account's API keys (CONTRACT §4): create, list,
 * update, revoke, rotate. Changes hold at the edge once the route answers.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { byAdmin } from "../audit/context";
import { createKey, listKeys, revokeKey, rotateKey, updateKey } from "../operations/keys";
import {
  AccountIdParam,
  CreatedKeySchema,
  CreateKeyBody,
  createdKeyView,
  ErrorEnvelope,
  envelope,
  errorResponses,
  json,
  KeyIdParams,
  KeySchema,
  keyView,
  RotateKeyBody,
  UpdateKeyBody,
} from "./schemas";
import { validationHook } from "./validation";

const errors = errorResponses("No such account or key");

export const keyRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

keyRoutes.openapi(
  createRoute({
    method: "post",
    path: "/accounts/{accountId}/keys",
    summary: "Create an API key",
    description:
      "The response's `key` is the full key; it is never shown again. `mode` is fixed here; `allowedIps` and `allowedSenderDomains` restrict where the key may be used from and which domains it may send from (null: any).",
    request: { params: AccountIdParam, body: { ...json(CreateKeyBody), required: true } },
    responses: { 201: { description: "Created", ...json(envelope(CreatedKeySchema)) }, ...errors },
  }),
  async (c) => {
    const { accountId } = c.req.valid("param");
    const { row, key } = await createKey(c.env, {
      config: c.get("config"),
      accountId,
      input: c.req.valid("json"),
      by: byAdmin(c),
    });
    return c.json({ success: true as const, data: createdKeyView(row, key) }, 201);
  },
);

keyRoutes.openapi(
  createRoute({
    method: "get",
    path: "/accounts/{accountId}/keys",
    summary: "List an account's keys",
    description: "Revoked keys are not listed. No secret or hash is ever returned.",
    request: { params: AccountIdParam },
    responses: { 200: { description: "The keys", ...json(envelope(z.array(KeySchema))) }, ...errors },
  }),
  async (c) => {
    const keys = await listKeys(c.env, c.req.valid("param").accountId);
    return c.json({ success: true as const, data: keys.map(keyView) }, 200);
  },
);

keyRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/accounts/{accountId}/keys/{keyId}",
    summary: "Update a key's name, scopes, rate limit, expiry or restrictions",
    description:
      "The new values apply to the very next request made with the key, everywhere. A rotated-out key's `expiresAt` cannot be changed (409); its other fields can. A key's `mode` cannot be changed (400).",
    request: { params: KeyIdParams, body: { ...json(UpdateKeyBody), required: true } },
    responses: {
      200: { description: "Updated", ...json(envelope(KeySchema)) },
      409: { description: "The key was rotated out: its expiry is final", ...json(ErrorEnvelope) },
      ...errors,
    },
  }),
  async (c) => {
    const { accountId, keyId } = c.req.valid("param");
    const key = await updateKey(c.env, { accountId, keyId, changes: c.req.valid("json"), by: byAdmin(c) });
    return c.json({ success: true as const, data: keyView(key) }, 200);
  },
);

keyRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/accounts/{accountId}/keys/{keyId}",
    summary: "Revoke a key",
    description: "From the moment this answers, the key gets 401 everywhere. Revocation cannot be undone.",
    request: { params: KeyIdParams },
    responses: {
      200: { description: "Revoked", ...json(envelope(z.object({ id: z.string(), revokedAt: z.string() }))) },
      ...errors,
    },
  }),
  async (c) => {
    const { accountId, keyId } = c.req.valid("param");
    const { id, revokedAt } = await revokeKey(c.env, accountId, keyId, byAdmin(c));
    return c.json({ success: true as const, data: { id, revokedAt: revokedAt.toISOString() } }, 200);
  },
);

keyRoutes.openapi(
  createRoute({
    method: "post",
    path: "/accounts/{accountId}/keys/{keyId}/rotate",
    summary: "Rotate a key",
    description:
      "Issues a new key with the same name, scopes, limit, expiry, mode and restrictions. The old key keeps working for `gracePeriodSeconds` (default 0), then expires for good: it cannot be rotated again (409).",
    request: { params: KeyIdParams, body: { ...json(RotateKeyBody), required: false } },
    responses: {
      201: { description: "The new key", ...json(envelope(CreatedKeySchema)) },
      409: { description: "The key was already rotated out", ...json(ErrorEnvelope) },
      ...errors,
    },
  }),
  async (c) => {
    const { accountId, keyId } = c.req.valid("param");
    const gracePeriodSeconds = c.req.valid("json").gracePeriodSeconds ?? 0;
    const { row, key } = await rotateKey(c.env, {
      config: c.get("config"),
      accountId,
      keyId,
      gracePeriodSeconds,
      by: byAdmin(c),
    });
    return c.json({ success: true as const, data: createdKeyView(row, key) }, 201);
  },
);
