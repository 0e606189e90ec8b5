/**
 * The cron job (wrangler.toml `[triggers]`, every minute): `key.expiring`
 * webhooks 7 days and 1 day before a key expires, the audit log's retention
 * (AUDIT_RETENTION_DAYS), the outbox sweep that re-enqueues webhook
 * events whose enqueue failed, and clearing rolled-out webhook secrets
 * whose 24 hours are over. Each task runs on its own: one failing is
 * logged and does not stop the others (the next run tries again).
 */
import { pruneAuditLog } from "./audit/retention";
import { getConfig } from "./config";
import { logWarning } from "./log";
import { sendExpiryNotices } from "./webhooks/expiring";
import { forgetRolledSecrets } from "./webhooks/rolling";
import { sweepPendingDeliveries } from "./webhooks/sweep";

/** Runs every task of the job as of `scheduledTime` (epoch ms). */
export async function runScheduled(env: Env, scheduledTime: number): Promise<void> {
  const config = getConfig(env);
  const tasks = {
    expiryNotices: () => sendExpiryNotices(env, scheduledTime).then((sent) => sent.length),
    auditRetention: () => pruneAuditLog(env, config, scheduledTime),
    webhookSweep: () => sweepPendingDeliveries(env, scheduledTime),
    rolledSecrets: () => forgetRolledSecrets(env, scheduledTime),
  };
  const results = await Promise.allSettled(Object.values(tasks).map((task) => task()));
  const done: Record<string, number> = {};
  Object.keys(tasks).forEach((name, i) => {
    const result = results[i];
    if (result?.status === "fulfilled") done[name] = result.value;
    else logWarning(`scheduled task ${name} failed`, { error: String(result?.reason) });
  });
  console.log(JSON.stringify({ type: "scheduled", scheduledTime, ...done }));
}
