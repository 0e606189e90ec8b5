/**
 * One delivery attempt: POST the event's JSON to the account's webhook URL,
 * signed twice (MoMail-Signature and the Standard Webhooks headers, with
 * one `v1` per secret in force: src/verify/webhook.ts), with no redirect
 * followed (a 3xx is a failure, like any non-2xx) and at most
 * WEBHOOK_TIMEOUT_MS for the receiver's answer. The receiver's body is
 * never read.
 */
import { webhookHeaders } from "../verify/webhook";

export const WEBHOOK_TIMEOUT_MS = 10_000;

export type AttemptResult = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/**
 * Sends `body` (the event's JSON, byte for byte as recorded) to `url`, signed
 * with each of `secrets` (the newest first), the attempt's own timestamp and
 * the event's id (the same on every attempt).
 */
export async function deliver(
  url: string,
  secrets: readonly string[],
  event: { id: string; type: string; body: string },
  timeoutMs = WEBHOOK_TIMEOUT_MS,
): Promise<AttemptResult> {
  const timestamp = Math.floor(Date.now() / 1000);
  const signatures = await webhookHeaders({ secrets, id: event.id, body: event.body, timestamp });
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "MoMail-Webhooks/1.0",
        ...signatures,
        "MoMail-Event-Id": event.id,
        "MoMail-Event-Type": event.type,
      },
      body: event.body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.body?.cancel();
    if (response.status >= 200 && response.status < 300) return { ok: true, status: response.status };
    return { ok: false, status: response.status, error: `HTTP ${response.status}` };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return { ok: false, status: null, error: timedOut ? `no answer within ${timeoutMs} ms` : "connection failed" };
  }
}
