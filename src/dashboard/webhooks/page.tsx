/**
 * Settings > Webhooks: where the account's events go. The URL form (set or
 * change it: a new URL comes with a new signing secret, shown once on the
 * next page; a refused URL comes back with the reason next to the field),
 * "Send test event", "Remove webhook" (leading to remove-page.tsx), and the
 * recent deliveries with their status, failed ones marked.
 */
import type { DeliveryView } from "../../webhooks/deliveries";
import { routes } from "../routes";
import { CsrfField, Field, FormAlert, fieldAria } from "../ui/fields";
import { Time } from "../ui/format";
import { type PageContext, PageHeader } from "../ui/layout";
import { SettingsShell } from "../ui/settings";
import { RecordTable } from "../ui/table";

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

const URL_HINT =
  "MoMail POSTs each event here as JSON, signed in its MoMail-Signature header. An https:// URL on a public host. " +
  "Saving a URL gives you a new signing secret, shown once; the old one stops signing.";

function UrlForm(props: WebhooksPageProps) {
  const csrf = props.page.session?.csrfToken ?? "";
  return (
    <section class="card" aria-labelledby="url-title">
      <form class="card-body" method="post" action={routes.webhooks.href()}>
        <h2 id="url-title">Endpoint</h2>
        <CsrfField token={csrf} />
        <Field id="url" label="Webhook URL" error={props.error} hint={URL_HINT}>
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
            {...fieldAria("url", props.error)}
          />
        </Field>
        <div class="actions">
          <button type="submit" class="btn btn-primary">
            {props.url ? "Save new URL" : "Save URL"}
          </button>
          {props.url && (
            <a class="btn btn-ghost-danger" href={routes.removeWebhook.href()}>
              Remove webhook
            </a>
          )}
        </div>
      </form>
      {props.url && (
        <form class="card-body test-event" method="post" action={routes.webhookTest.href()}>
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

/** A delivery as a row: its event, when it was made, its status (failed ones marked), attempts and last answer. */
function DeliveryRow(props: { delivery: DeliveryView }) {
  const { delivery } = props;
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
}

function Deliveries(props: { deliveries: DeliveryView[] }) {
  return (
    <section class="card" aria-labelledby="deliveries-title">
      <div class="card-body card-head">
        <h2 id="deliveries-title">Recent deliveries</h2>
        <a class="btn btn-secondary btn-small" href={routes.webhooks.href()}>
          Refresh
        </a>
      </div>
      <RecordTable
        caption="Recent webhook deliveries, newest first"
        columns={["Event", "Created", "Status", { label: "Attempts", num: true }, "Last answer"]}
        rows={props.deliveries.map((delivery) => <DeliveryRow delivery={delivery} />)}
        empty="No events yet."
      />
    </section>
  );
}

/** Settings > Webhooks. */
export function WebhooksPage(props: WebhooksPageProps) {
  return (
    <SettingsShell page={props.page} title="Webhooks" current="webhooks">
      <PageHeader heading="Webhooks">
        Get a POST when a key is created, rolled, deleted, reported as leaked or about to expire, and when the quota
        runs low or out.
      </PageHeader>
      <Notices done={props.done} refused={props.refused} />
      <UrlForm {...props} />
      <Deliveries deliveries={props.deliveries} />
    </SettingsShell>
  );
}
