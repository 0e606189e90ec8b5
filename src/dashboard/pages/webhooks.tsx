/**
 * Settings > Webhooks: where the account's events go. The URL form (set or
 * change it: a new URL comes with a new signing secret, shown once on the
 * next page; a refused URL comes back with the reason next to the field),
 * "Send test event", "Remove webhook" (with a confirmation page), and the
 * recent deliveries with their status, failed ones marked.
 */
import type { DeliveryView } from "../../webhooks/deliveries";
import { CsrfField, type PageContext, SettingsShell } from "../layout";
import { describedBy, FieldError, FormAlert } from "./fields";
import { Time } from "./format";

export const WEBHOOKS_PATH = "/dashboard/settings/webhooks";

export interface WebhooksPageProps {
  page: PageContext;
  /** The account's webhook URL, or null when it has none. */
  url: string | null;
  deliveries: DeliveryView[];
  /** What the URL field holds: the current URL, or what was typed into a refused form. */
  value: string;
  /** Why the URL typed was refused, next to the field. */
  error?: string;
  /** A refusal of the test event (a 409's message). */
  refused?: string;
  /** What was just done, for the notice. */
  done?: { sent?: string; removed?: boolean };
}

const STATUS_BADGES: Record<DeliveryView["status"], { label: string; badge: string }> = {
  delivered: { label: "Delivered", badge: "badge-ok" },
  pending: { label: "Pending", badge: "badge-muted" },
  retrying: { label: "Retrying", badge: "badge-warn" },
  failed: { label: "Failed", badge: "badge-danger" },
};

function Notices(props: Pick<WebhooksPageProps, "done" | "refused">) {
  return (
    <>
      <FormAlert message={props.refused} />
      {props.done?.sent && (
        <div class="alert alert-success" role="status">
          A test event (<code>{props.done.sent}</code>) is on its way. Refresh to see its delivery below.
        </div>
      )}
      {props.done?.removed && (
        <div class="alert alert-success" role="status">
          The webhook was removed: no more events are sent.
        </div>
      )}
    </>
  );
}

function UrlForm(props: WebhooksPageProps) {
  const csrf = props.page.session?.csrfToken ?? "";
  return (
    <section class="card" aria-labelledby="url-title">
      <form class="card-body" method="post" action={WEBHOOKS_PATH}>
        <h2 id="url-title">Endpoint</h2>
        <CsrfField token={csrf} />
        <div class="field">
          <label for="url">Webhook URL</label>
          <input
            id="url"
            name="url"
            type="url"
            required
            maxlength={2048}
            autocomplete="off"
            spellcheck={false}
            placeholder="https://example.com/momail-webhooks"
            value={props.value}
            aria-invalid={props.error ? "true" : undefined}
            aria-describedby={describedBy("url", props.error)}
          />
          <FieldError id="url-error" message={props.error} />
          <p class="hint" id="url-hint">
            MoMail POSTs each event here as JSON, signed in its MoMail-Signature header. An https:// URL on a public
            host. Saving a URL gives you a new signing secret, shown once; the old one stops signing.
          </p>
        </div>
        <div class="actions">
          <button type="submit" class="btn btn-primary">
            {props.url ? "Save new URL" : "Save URL"}
          </button>
          {props.url && (
            <a class="btn btn-ghost-danger" href={`${WEBHOOKS_PATH}/remove`}>
              Remove webhook
            </a>
          )}
        </div>
      </form>
      {props.url && (
        <form class="card-body test-event" method="post" action={`${WEBHOOKS_PATH}/test`}>
          <CsrfField token={csrf} />
          <p>
            Events go to <code class="break">{props.url}</code>.
          </p>
          <button type="submit" class="btn btn-secondary">
            Send test event
          </button>
        </form>
      )}
    </section>
  );
}

function LastAnswer(props: { delivery: DeliveryView }) {
  const { lastStatusCode: code, lastError: error } = props.delivery;
  if (code !== null && error) return <span>{error}</span>;
  if (code !== null) return <span>HTTP {code}</span>;
  return error ? <span>{error}</span> : <span class="muted">None yet</span>;
}

function Deliveries(props: { deliveries: DeliveryView[] }) {
  return (
    <section class="card" aria-labelledby="deliveries-title">
      <div class="card-body card-head">
        <h2 id="deliveries-title">Recent deliveries</h2>
        <a class="btn btn-secondary btn-small" href={WEBHOOKS_PATH}>
          Refresh
        </a>
      </div>
      {props.deliveries.length === 0 ? (
        <div class="empty">
          <p>No events yet.</p>
        </div>
      ) : (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Recent webhook deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">
                  Attempts
                </th>
                <th scope="col">Last answer</th>
              </tr>
            </thead>
            <tbody>
              {props.deliveries.map((delivery) => {
                const status = STATUS_BADGES[delivery.status];
                return (
                  <tr class={delivery.status === "failed" ? "flagged" : undefined}>
                    <td>
                      <code>{delivery.type}</code>
                      <div class="muted small">{delivery.eventId}</div>
                    </td>
                    <td class="date">
                      <Time date={new Date(delivery.createdAt)} />
                    </td>
                    <td>
                      <span class={`badge ${status.badge}`}>{status.label}</span>
                    </td>
                    <td class="num">{delivery.attempts}</td>
                    <td>
                      <LastAnswer delivery={delivery} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

/** Settings > Webhooks. */
export function WebhooksPage(props: WebhooksPageProps) {
  return (
    <SettingsShell page={props.page} title="Webhooks" current="webhooks">
      <div class="page-header">
        <div>
          <h1>Webhooks</h1>
          <p>
            Get a POST when a key is created, rolled, deleted, reported as leaked or about to expire, and when the quota
            runs low or out.
          </p>
        </div>
      </div>
      <Notices done={props.done} refused={props.refused} />
      <UrlForm {...props} />
      <Deliveries deliveries={props.deliveries} />
    </SettingsShell>
  );
}

/** "Remove the webhook?": what removing means, and the button that does it. */
export function RemoveWebhookPage(props: { page: PageContext; url: string }) {
  return (
    <SettingsShell page={props.page} title="Remove webhook" current="webhooks">
      <div class="page-header">
        <div>
          <h1>Remove the webhook?</h1>
        </div>
      </div>
      <div class="card narrow">
        <form class="card-body" method="post" action={`${WEBHOOKS_PATH}/remove`}>
          <CsrfField token={props.page.session?.csrfToken ?? ""} />
          <p>
            Events stop going to <code class="break">{props.url}</code>, and its signing secret is deleted. Saving a URL
            again gives a new secret.
          </p>
          <div class="actions">
            <button type="submit" class="btn btn-danger">
              Yes, remove
            </button>
            <a class="btn btn-secondary" href={WEBHOOKS_PATH}>
              Cancel
            </a>
          </div>
        </form>
      </div>
    </SettingsShell>
  );
}
