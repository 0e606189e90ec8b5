/**
 * Admin routes for an account's dashboard users (CONTRACT §4): create, list,
 * set a new password, delete. No answer holds a password or a hash. A new
 * password or a deletion ends that user's dashboard sessions at once.
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { byAdmin } from "../audit/context";
import { createUser, deleteUser, listUsers, setUserPassword } from "../operations/users";
import {
  AccountIdParam,
  CreateUserBody,
  ErrorEnvelope,
  envelope,
  errorResponses,
  json,
  SetPasswordBody,
  UserIdParams,
  UserSchema,
  userView,
} from "./schemas";
import { validationHook } from "./validation";

const errors = errorResponses("No such account or user (a user of another account is not found either)");

export const userRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

userRoutes.openapi(
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
    const user = await createUser(c.env, c.req.valid("param").accountId, c.req.valid("json"), byAdmin(c));
    return c.json({ success: true as const, data: userView(user) }, 201);
  },
);

userRoutes.openapi(
  createRoute({
    method: "get",
    path: "/accounts/{accountId}/users",
    summary: "List an account's dashboard users",
    description: "Oldest first. No password hash is ever returned.",
    request: { params: AccountIdParam },
    responses: { 200: { description: "The users", ...json(envelope(z.array(UserSchema))) }, ...errors },
  }),
  async (c) => {
    const users = await listUsers(c.env, c.req.valid("param").accountId);
    return c.json({ success: true as const, data: users.map(userView) }, 200);
  },
);

userRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/accounts/{accountId}/users/{userId}",
    summary: "Set a dashboard user's password",
    description: "The user's existing dashboard sessions stop working at once.",
    request: { params: UserIdParams, body: { ...json(SetPasswordBody), required: true } },
    responses: { 200: { description: "Updated", ...json(envelope(UserSchema)) }, ...errors },
  }),
  async (c) => {
    const { accountId, userId } = c.req.valid("param");
    const { password } = c.req.valid("json");
    const user = await setUserPassword(c.env, { accountId, userId, password, by: byAdmin(c) });
    return c.json({ success: true as const, data: userView(user) }, 200);
  },
);

userRoutes.openapi(
  createRoute({
    method: "delete",
    path: "/accounts/{accountId}/users/{userId}",
    summary: "Delete a dashboard user",
    description: "The user's dashboard sessions stop working at once, and the email is free again.",
    request: { params: UserIdParams },
    responses: { 200: { description: "Deleted", ...json(envelope(z.object({ id: z.string() }))) }, ...errors },
  }),
  async (c) => {
    const { accountId, userId } = c.req.valid("param");
    return c.json({ success: true as const, data: await deleteUser(c.env, accountId, userId, byAdmin(c)) }, 200);
  },
);
