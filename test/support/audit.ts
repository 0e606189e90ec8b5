/**
 * Reading the audit log in tests: through the admin API as an operator
 * would, and straight from D1 (every row, as stored) to check what no answer
 * shows.
 */
import { env } from "cloudflare:workers";
import { admin } from "./helpers";

export interface AuditEntry {
  id: string;
  at: string;
  actor: { type: "admin" } | { type: "user"; email: string } | { type: "system"; reason: string };
  action: string;
  target: { type: string; id: string };
  ip: string | null;
  details?: Record<string, string | null>;
}

/** The account's whole audit log, newest first, through the admin API. */
export async function auditLogOf(accountId: string): Promise<AuditEntry[]> {
  const response = await admin("GET", `/accounts/${accountId}/audit-log?limit=100`);
  if (response.status !== 200) throw new Error(`audit log: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: AuditEntry[] }).data;
}

/** How many audit rows D1 holds for the account. */
export async function auditCount(accountId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE account_id = ?")
    .bind(accountId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** Every audit row as stored, all columns. */
export async function allAuditRows(): Promise<Array<Record<string, unknown>>> {
  return (await env.DB.prepare("SELECT * FROM audit_log").all()).results;
}
