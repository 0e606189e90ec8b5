/**
 * Settings > Audit log, for a signed-in user and only over their own
 * account (every call goes through ../operations.ts): the page shows the
 * newest entries, `?cursor=` the older ones after a page (the log's own
 * cursor, stable while entries are added); a cursor the log did not hand out
 * is a 400 page. Reading the log writes nothing.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { accountKeyNames, accountUserEmails, auditLogPage } from "../operations";
import { routes } from "../routes";
import { pageContext, renderPage } from "../ui/render";
import { AuditLogPage } from "./page";

/** Entries per page. */
export const AUDIT_PAGE_SIZE = 25;

export const auditLogRouter = new Hono<AppEnv>();

auditLogRouter.get(routes.auditLog.pattern, async (c) => {
  const cursor = c.req.query("cursor") || undefined;
  const [log, keys, users] = await Promise.all([
    auditLogPage(c, AUDIT_PAGE_SIZE, cursor),
    accountKeyNames(c),
    accountUserEmails(c),
  ]);
  const names = { accountName: c.var.session.accountName, keys, users };
  const page = (
    <AuditLogPage
      page={pageContext(c)}
      entries={log.entries}
      names={names}
      cursor={cursor}
      nextCursor={log.nextCursor}
    />
  );
  return renderPage(c, page);
});
