/**
 * The page that shows a new key, once. The key sits in a read-only input
 * (select it and copy, which works without JavaScript) with a "Copy" button
 * that uses the Clipboard API. A small inline script, allowed by the page's
 * CSP nonce, wires the button and turns this history entry into a plain GET
 * of the list, so a reload shows the list, never the key, and creates
 * nothing.
 */
import { raw } from "hono/html";
import type { ApiKey } from "../../db/schema";
import { type PageContext, SettingsShell } from "../layout";
import { Time } from "./format";

const COPY_SCRIPT = `(() => {
  const input = document.getElementById("new-key");
  const button = document.getElementById("copy-key");
  const status = document.getElementById("copy-status");
  history.replaceState(null, "", "/dashboard/settings/api-keys");
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

export interface KeyCreatedPageProps {
  page: PageContext;
  apiKey: ApiKey;
  /** The full key: in this page only, never stored, logged or put in a URL. */
  secretKey: string;
}

/** "Copy your new key now": the full key, shown this once. */
export function KeyCreatedPage(props: KeyCreatedPageProps) {
  const { apiKey } = props;
  return (
    <SettingsShell page={props.page} title="Your new API key" current="api-keys">
      <div class="page-header">
        <div>
          <h1>Your new API key</h1>
          <p>“{apiKey.name}” is ready to use.</p>
        </div>
      </div>
      <div class="card narrow secret-box">
        <div class="card-body">
          <div class="alert alert-warning" role="alert">
            <strong>Copy your key now.</strong>
            For your security it will not be shown again. If you lose it, delete it and create a new one.
          </div>
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
