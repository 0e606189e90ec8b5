/**
 * Settings > Usage, for a signed-in user and only over their own account
 * (every call goes through ../operations.ts): the page draws the last 30
 * UTC days, for all keys or the key in `?key=` (a key the account does not
 * have is ignored: all keys are shown); the CSV downloads the same rows (per
 * key and day, every count, as the admin API's CSV), for the account's user
 * rather than its operator.
 */
import { Hono } from "hono";
import type { AppEnv } from "../../app-env";
import { isoDay } from "../../keys/rules";
import { accountKeyNames, accountUsage, accountWithUsage, usageCsv } from "../operations";
import { routes } from "../routes";
import { pageContext, renderPage } from "../ui/render";
import { type UsageKey, UsagePage } from "./page";
import { dailyCounts, keyTotals, usagePeriod, zeroCounts } from "./report";

export const usageRouter = new Hono<AppEnv>();

usageRouter.get(routes.usage.pattern, async (c) => {
  const period = usagePeriod();
  const [rows, names] = await Promise.all([accountUsage(c, period), accountKeyNames(c)]);
  // After the usage read, which handed the gate what this isolate owed it (unused lease units among it).
  const quota = await accountWithUsage(c);
  const { keys: totals, all } = keyTotals(rows);
  const usageKey = (id: string): UsageKey => {
    const key = names.get(id);
    return { id, name: key?.name ?? id, prefix: key?.prefix ?? "", deleted: !key || key.revokedAt !== null };
  };
  // Keys with requests in the period, busiest first, then the other live keys (none yet), by name.
  const used = new Set(totals.map((total) => total.keyId));
  const idle = [...names.values()]
    .filter((key) => key.revokedAt === null && !used.has(key.id))
    .sort((a, b) => a.name.localeCompare(b.name, "en"))
    .map((key) => ({ ...usageKey(key.id), ...zeroCounts() }));
  const keys = [...totals.map((total) => ({ ...usageKey(total.keyId), ...total })), ...idle];
  const selected = keys.find((key) => key.id === c.req.query("key"));
  const page = (
    <UsagePage
      page={pageContext(c)}
      period={period}
      days={dailyCounts(rows, period, selected?.id)}
      keys={keys}
      all={all}
      selected={selected}
      quota={quota}
    />
  );
  return renderPage(c, page);
});

usageRouter.get(routes.usageCsv.pattern, async (c) => {
  const period = usagePeriod();
  const names = await accountKeyNames(c);
  const keyId = c.req.query("key");
  const rows = await accountUsage(c, period, keyId && names.has(keyId) ? keyId : undefined);
  const accountId = c.var.session.accountId;
  return c.body(usageCsv(rows), 200, {
    "Content-Type": "text/csv; charset=utf-8",
    "Content-Disposition": `attachment; filename="usage-${accountId}-${isoDay(new Date(period.from))}-to-${isoDay(new Date(period.to))}.csv"`,
  });
});
