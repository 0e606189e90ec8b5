/**
 * The page that shows a new key, once: after Create New Key, or after a
 * roll (then also when the old key stops working). The key sits in a
 * read-only input (select it and copy, which works without JavaScript)
 * with a "Copy" button that uses the Clipboard API, wired by a small inline
 * script allowed by the page's CSP nonce. The page is reached by a redirect
 * and can be seen once (reveal.ts): a reload answers "already shown" and
 * creates nothing. `KeyGonePage` is that answer.
 */
import { raw } from "hono/html";
import type { ApiKey } from "../../db/schema";
import { type PageContext, SettingsShell } from "../layout";
import { formatDate, Time } from "./format";

const COPY_SCRIPT = `(() => {
  const input = document.getElementById("new-key");
  const button = document.getElementById("copy-key");
  const status = document.getElementById("copy-status");
  input.addEventListener("focus", () => input.select());
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      button.textContent = "Copied";
      status.textContent = "The key is on your clipboard.";
    } catch {
      input.focus();
      input.select();
      status.textContent = "Press Ctrl+C (\\u2318C on a Mac) to copy the selected key.";
    }
  });
})();`;

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
          <label for="new-key">
            <strong>API key</strong>
          </label>
          <div class="secret">
            <input id="new-key" type="text" readonly value={props.secretKey} autocomplete="off" spellcheck={false} />
            <button type="button" id="copy-key" class="btn btn-primary">
              Copy
            </button>
          </div>
          <p class="hint" id="copy-status" role="status" aria-live="polite" />
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
      <script nonce={props.page.nonce}>{raw(COPY_SCRIPT)}</script>
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
