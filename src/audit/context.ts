/**
 * The audit context of a request: the admin API acts as `{type: "admin"}`,
 * a signed-in dashboard user as `{type: "user", email}`, each with the
 * client's address from `CF-Connecting-IP` (set by Cloudflare's edge).
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import type { AuditContext } from "./entries";

const MAX_IP_LENGTH = 64;

/** The client's address as Cloudflare gives it, or null without one. */
export function clientIp(c: Context): string | null {
  const ip = c.req.header("CF-Connecting-IP")?.trim();
  return ip ? ip.slice(0, MAX_IP_LENGTH) : null;
}

/** An operator, through the admin API. */
export function byAdmin(c: Context<AppEnv>): AuditContext {
  return { actor: { type: "admin" }, ip: clientIp(c) };
}

/** The signed-in dashboard user (the route must be behind `requireSession`). */
export function byUser(c: Context<AppEnv>): AuditContext {
  return { actor: { type: "user", email: c.var.session.email }, ip: clientIp(c) };
}
