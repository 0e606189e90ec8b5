/**
 * Admin routes for accounts (CONTRACT §4).
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { createAccount, updateAccount } from "../operations/accounts";
import {
  AccountIdParam,
  AccountSchema,
  accountView,
  CreateAccountBody,
  envelope,
  errorResponses,
  json,
  UpdateAccountBody,
} from "./schemas";
import { validationHook } from "./validation";

const errors = errorResponses("No such account");

export const accountRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

accountRoutes.openapi(
  createRoute({
    method: "post",
    path: "/accounts",
    summary: "Create an account",
    request: { body: { ...json(CreateAccountBody), required: true } },
    responses: { 201: { description: "Created", ...json(envelope(AccountSchema)) }, ...errors },
  }),
  async (c) => {
    const account = await createAccount(c.env, c.req.valid("json"));
    return c.json({ success: true as const, data: accountView(account, false) }, 201);
  },
);

accountRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/accounts/{accountId}",
    summary: "Rename, re-limit, disable or enable an account",
    description: "While an account is disabled every one of its keys gets 401, from the moment this answers.",
    request: { params: AccountIdParam, body: { ...json(UpdateAccountBody), required: true } },
    responses: { 200: { description: "Updated", ...json(envelope(AccountSchema)) }, ...errors },
  }),
  async (c) => {
    const account = await updateAccount(c.env, c.req.valid("param").accountId, c.req.valid("json"));
    return c.json({ success: true as const, data: accountView(account) }, 200);
  },
);
