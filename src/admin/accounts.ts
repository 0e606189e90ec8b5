/**
 * Admin routes for accounts (CONTRACT §4).
 */
import { createRoute, OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { byAdmin } from "../audit/context";
import { createAccount, getAccount, quotaUsage, updateAccount } from "../operations/accounts";
import {
  AccountIdParam,
  AccountSchema,
  AccountWithUsageSchema,
  accountView,
  CreateAccountBody,
  envelope,
  errorResponses,
  json,
  UpdateAccountBody,
  UpdatedAccountSchema,
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
    const account = await createAccount(c.env, c.req.valid("json"), byAdmin(c));
    return c.json({ success: true as const, data: accountView(account, c.var.config.MAX_KEYS_PER_ACCOUNT) }, 201);
  },
);

accountRoutes.openapi(
  createRoute({
    method: "get",
    path: "/accounts/{accountId}",
    summary: "Get an account, with its current quota usage",
    description: "`quotaUsage` is exact as of the call: the account's gate keeps the count.",
    request: { params: AccountIdParam },
    responses: { 200: { description: "The account", ...json(envelope(AccountWithUsageSchema)) }, ...errors },
  }),
  async (c) => {
    const account = await getAccount(c.env, c.req.valid("param").accountId);
    const usage = await quotaUsage(c.env, account);
    const data = {
      ...accountView(account, c.var.config.MAX_KEYS_PER_ACCOUNT),
      webhookUrl: account.webhookUrl,
      quotaUsage: usage && { used: usage.used, resetAt: new Date(usage.resetAt).toISOString() },
    };
    return c.json({ success: true as const, data }, 200);
  },
);

accountRoutes.openapi(
  createRoute({
    method: "patch",
    path: "/accounts/{accountId}",
    summary: "Rename, re-limit, disable or enable an account, or set its webhook",
    description:
      "Limits, quota and the disabled flag apply to the very next request. While an account is disabled every one of its keys gets 401, from the moment this answers. A new `webhookUrl` answers with a new `webhookSecret`, shown only in this response.",
    request: { params: AccountIdParam, body: { ...json(UpdateAccountBody), required: true } },
    responses: { 200: { description: "Updated", ...json(envelope(UpdatedAccountSchema)) }, ...errors },
  }),
  async (c) => {
    const { accountId } = c.req.valid("param");
    const { account, webhookSecret } = await updateAccount(c.env, {
      config: c.var.config,
      accountId,
      changes: c.req.valid("json"),
      by: byAdmin(c),
    });
    const data = {
      ...accountView(account, c.var.config.MAX_KEYS_PER_ACCOUNT),
      webhookUrl: account.webhookUrl,
      ...(webhookSecret && { webhookSecret }),
    };
    return c.json({ success: true as const, data }, 200);
  },
);
