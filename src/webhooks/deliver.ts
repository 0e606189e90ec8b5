/**
 * One delivery attempt: POST the event's JSON to the account's webhook URL,
 * signed (MoMail-Signature, src/verify/webhook.ts), with no redirect
 * followed (a 3xx is a failure, like any non-2xx) and at most
 * WEBHOOK_TIMEOUT_MS for the receiver's answer. The receiver's body is
 * never read.
 */
import { signWebhook, WEBHOOK_SIGNATURE_HEADER } from "../verify/webhook";

export const WEBHOOK_TIMEOUT_MS = 10_000;

export type AttemptResult = { ok: true; status: number } | { ok: false; status: number | null; error: string };

/** Sends `body` (the event's JSON, byte for byte as recorded) to `url`, signed with `secret`. */
export async function deliver(
  url: string,
  secret: string,
  event: { id: string; type: string; body: string },
  timeoutMs = WEBHOOK_TIMEOUT_MS,
): Promise<AttemptResult> {
  const signature = await signWebhook(secret, event.body, Math.floor(Date.now() / 1000));
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "MoMail-Webhooks/1.0",
        [WEBHOOK_SIGNATURE_HEADER]: signature,
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
