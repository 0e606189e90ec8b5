/**
 * A secret shown once (a new API key, a webhook signing secret): a
 * read-only input, which can be selected and copied without JavaScript, and
 * a "Copy" button that uses the Clipboard API, wired by a small inline
 * script under the page's CSP nonce. A status line says whether it worked.
 */
import { raw } from "hono/html";

/** The script for the field `inputId` and its button `buttonId` (ids of this page, never user input). */
const copyScript = (inputId: string, buttonId: string) => `(() => {
  const input = document.getElementById(${JSON.stringify(inputId)});
  const button = document.getElementById(${JSON.stringify(buttonId)});
  const status = document.getElementById("copy-status");
  input.addEventListener("focus", () => input.select());
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(input.value);
      button.textContent = "Copied";
      status.textContent = "It is on your clipboard.";
    } catch {
      input.focus();
      input.select();
      status.textContent = "Press Ctrl+C (\\u2318C on a Mac) to copy the selected text.";
    }
  });
})();`;

/** The labelled secret with its Copy button and status line. */
export function CopyField(props: { inputId: string; buttonId: string; label: string; value: string; nonce: string }) {
  return (
    <>
      <label for={props.inputId}>
        <strong>{props.label}</strong>
      </label>
      <div class="secret">
        <input id={props.inputId} type="text" readonly value={props.value} autocomplete="off" spellcheck={false} />
        <button type="button" id={props.buttonId} class="btn btn-primary">
          Copy
        </button>
      </div>
      <p class="hint" id="copy-status" role="status" aria-live="polite" />
      <script nonce={props.nonce}>{raw(copyScript(props.inputId, props.buttonId))}</script>
    </>
  );
}
