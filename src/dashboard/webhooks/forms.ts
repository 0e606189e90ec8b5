/**
 * The webhook form: the URL typed, and the URL to set, or the error when it
 * is empty. Which URLs the gateway accepts is the operations' rule
 * (src/webhooks/url.ts, through setWebhookUrl); its refusal comes back as a
 * 400 ApiError, and `webhookUrlError` puts its reason in the dashboard's
 * words, next to the field.
 */
import { textOf } from "../ui/form-body";

/** Reads the webhook form: what was typed, and the URL to set or why there is none. */
export function parseWebhookForm(body: Record<string, unknown>) {
  const value = textOf(body.url).trim();
  return value ? { value, url: value, error: null } : { value, url: null, error: "Enter the URL to send events to." };
}

/** A refused webhook URL's reason in the dashboard's words ("webhookUrl: must name a public host" → "The URL must name a public host."). */
export const webhookUrlError = (message: string) => `The URL ${message.replace(/^webhookUrl: /, "")}.`;
