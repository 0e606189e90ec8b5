/**
 * The page that shows a new key, once: after Create New Key, or after a
 * roll (then also when the old key stops working), in a CopyField (select
 * and copy without JavaScript, or the "Copy" button). The page is reached
 * by a redirect and can be seen once (reveal.ts): a reload answers "already
 * shown" and creates nothing. `KeyGonePage` is that answer.
 */
import type { ApiKey } from "../../db/schema";
import { type PageContext, SettingsShell } from "../layout";
import { CopyField } from "./copy-field";
import { formatDate, Time } from "./format";

export interface KeyShownPageProps {
  page: PageContext;
  apiKey: ApiKey;
  /** The full key: in this page only, never in a URL, a cookie or a log. */
  secretKey: string;
  /** After a roll: the key it replaces, as it is now (undefined for a new key, null if it was deleted since). */
  replaced?: ApiKey | null;
}

/** When the old key of a roll stops working, in words. */
function OldKeyNotice(props: { replaced: ApiKey | null }) {
  const old = props.replaced;
  if (!old) return <p>The old key has been deleted; it no longer works.</p>;
  const stops = old.expiresAt;
  if (!stops || stops.getTime() <= Date.now()) {
    return (
      <p>
        The old key <code class="prefix">{old.prefix}</code> has stopped working.
      </p>
    );
  }
  return (
    <p>
      The old key <code class="prefix">{old.prefix}</code> keeps working until <strong>{formatDate(stops)}</strong>,
      then stops. Update your applications before then.
    </p>
  );
}

/** "Copy your new key now": the full key, shown this once. */
export function KeyShownPage(props: KeyShownPageProps) {
  const { apiKey } = props;
  const rolled = props.replaced !== undefined;
  const title = rolled ? "Your rolled API key" : "Your new API key";
  return (
    <SettingsShell page={props.page} title={title} current="api-keys">
      <div class="page-header">
        <div>
          <h1>{title}</h1>
          <p>“{apiKey.name}” is ready to use.</p>
        </div>
      </div>
      <div class="card narrow secret-box">
        <div class="card-body">
          <div class="alert alert-warning" role="alert">
            <strong>Copy your key now.</strong>
            For your security it will not be shown again. If you lose it, delete it and create a new one.
          </div>
          {rolled && (
            <div class="alert alert-info" role="status">
              <OldKeyNotice replaced={props.replaced ?? null} />
            </div>
          )}
          <CopyField
            inputId="new-key"
            buttonId="copy-key"
            label="API key"
            value={props.secretKey}
            nonce={props.page.nonce}
          />
          <dl class="details">
            <dt>Name</dt>
            <dd>{apiKey.name}</dd>
            <dt>Prefix</dt>
            <dd>
              <code class="prefix">{apiKey.prefix}</code>
            </dd>
            <dt>Expires</dt>
            <dd>
              <Time date={apiKey.expiresAt} />
            </dd>
          </dl>
          <div class="actions">
            <a class="btn btn-secondary" href="/dashboard/settings/api-keys">
              Done
            </a>
          </div>
        </div>
      </div>
    </SettingsShell>
  );
}

/** A new key's page seen again (a reload, Back, another browser): the key is not shown twice. */
export function KeyGonePage(props: { page: PageContext }) {
  return (
    <SettingsShell page={props.page} title="Key already shown" current="api-keys">
      <div class="page-header">
        <div>
          <h1>This key was shown already</h1>
        </div>
      </div>
      <div class="card narrow">
        <div class="card-body">
          <p>
            For your security a new key is shown only once, for a few minutes, and only in the browser that created it.
            Nothing was created or changed now.
          </p>
          <p>If you did not copy it, delete that key and create a new one.</p>
          <a class="btn btn-primary" href="/dashboard/settings/api-keys">
            Back to API Keys
          </a>
        </div>
      </div>
    </SettingsShell>
  );
}
