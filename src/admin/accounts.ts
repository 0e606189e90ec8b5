/**
 * Admin routes for accounts and their dashboard users (CONTRACT §4).
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { createAccount, createUser, updateAccount } from "../store/accounts";
import {
  AccountIdParam,
  AccountSchema,
  accountView,
  CreateAccountBody,
  CreateUserBody,
  ErrorEnvelope,
  envelope,
  errorResponses,
  json,
  UpdateAccountBody,
  UserSchema,
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

accountRoutes.openapi(
  createRoute({
    method: "post",
    path: "/accounts/{accountId}/users",
    summary: "Create a dashboard login for an account",
    request: { params: AccountIdParam, body: { ...json(CreateUserBody), required: true } },
    responses: {
      201: { description: "Created", ...json(envelope(UserSchema)) },
      409: { description: "Email already in use", ...json(ErrorEnvelope) },
      ...errors,
    },
  }),
  async (c) => {
    const user = await createUser(c.env, c.req.valid("param").accountId, c.req.valid("json"));
    const data = { id: user.id, accountId: user.accountId, email: user.email, createdAt: user.createdAt.toISOString() };
    return c.json({ success: true as const, data }, 201);
  },
);
