/**
 * Rolling a key: a new key replaces it, and the old one keeps working for a
 * chosen grace period (none, 1 hour, 24 hours or 7 days) so applications can
 * switch over, then stops for good. A key rolled already cannot be rolled
 * again: the page says until when it works instead of offering the form, and
 * a second roll that gets through (an old tab) shows the 409's message as it is.
 */
import type { ApiKey } from "../../db/schema";
import { routes } from "../routes";
import { CsrfField, FieldError, FormActions, FormAlert } from "../ui/fields";
import { formatDate, formatDuration } from "../ui/format";
import { type PageContext, PageHeader } from "../ui/layout";
import { SettingsShell } from "../ui/settings";
import { GRACE_PERIODS } from "./forms";

const graceLabel = (seconds: number) =>
  seconds === 0 ? "None: the old key stops working at once" : formatDuration(seconds);

export interface RollKeyPageProps {
  page: PageContext;
  apiKey: ApiKey;
  /** The grace period chosen, in seconds (as typed, when the form comes back). */
  grace: string;
  error?: string;
  /** Why the roll was refused (a 409's message). */
  refused?: string;
}

function RolledAlready(props: { apiKey: ApiKey }) {
  const stops = props.apiKey.expiresAt;
  const ended = !stops || stops.getTime() <= Date.now();
  return (
    <div class="alert alert-info" role="status">
      This key was rolled on {formatDate(props.apiKey.rotatedAt)} and cannot be rolled again.{" "}
      {ended ? "It has stopped working." : `It keeps working until ${formatDate(stops)}.`}
    </div>
  );
}

/** The grace period, then "Roll key". */
function RollForm(props: RollKeyPageProps) {
  return (
    <form class="card-body" method="post" action={routes.rollKey.href({ keyId: props.apiKey.id })}>
      <CsrfField token={props.page.session?.csrfToken ?? ""} />
      <fieldset class="field" aria-describedby={props.error ? "grace-error grace-hint" : "grace-hint"}>
        <legend>How long should the old key keep working?</legend>
        <p class="hint" id="grace-hint">
          Time for your applications to switch to the new key. Then the old key stops working for good.
        </p>
        <FieldError id="grace-error" message={props.error} />
        {GRACE_PERIODS.map((seconds) => (
          <div class="choice">
            <input
              type="radio"
              id={`grace-${seconds}`}
              name="grace"
              value={String(seconds)}
              checked={props.grace === String(seconds)}
            />
            <label for={`grace-${seconds}`}>{graceLabel(seconds)}</label>
          </div>
        ))}
      </fieldset>
      <FormActions submit="Roll key" cancel={routes.apiKeys.href()} />
    </form>
  );
}

/** "Roll API key": the form, or why this key cannot be rolled (again). */
export function RollKeyPage(props: RollKeyPageProps) {
  const { apiKey } = props;
  return (
    <SettingsShell page={props.page} title="Roll API key" current="api-keys">
      <PageHeader heading="Roll API key">
        A new key replaces <strong>{apiKey.name}</strong> (<code class="prefix">{apiKey.prefix}</code>), with the same
        name, permissions, rate limit and expiry. The new key is shown once.
      </PageHeader>
      <div class="card narrow">
        {props.refused || apiKey.rotatedAt ? (
          <div class="card-body">
            <FormAlert message={props.refused} />
            {!props.refused && <RolledAlready apiKey={apiKey} />}
            <a class="btn btn-secondary" href={routes.apiKeys.href()}>
              Back to API Keys
            </a>
          </div>
        ) : (
          <RollForm {...props} />
        )}
      </div>
    </SettingsShell>
  );
}
