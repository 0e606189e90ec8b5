/**
 * Renaming a key: the same form as the list's inline one (which posts
 * here too), as a page of its own for when the name was refused (with the
 * message next to the field) or for browsers without <details>.
 */
import type { ApiKey } from "../../db/schema";
import { CsrfField, type PageContext, SettingsShell } from "../layout";
import { describedBy, FieldError, FormAlert, KeyFormActions } from "./fields";

/** The rename form's action for a key. */
export const renameAction = (key: ApiKey) => `/dashboard/settings/api-keys/${key.id}/rename`;

/** "Rename API key": one field, the new name. */
export function RenameKeyPage(props: { page: PageContext; apiKey: ApiKey; name: string; error?: string }) {
  const { apiKey } = props;
  return (
    <SettingsShell page={props.page} title="Rename API key" current="api-keys">
      <div class="page-header">
        <div>
          <h1>Rename API key</h1>
          <p>
            The key <code class="prefix">{apiKey.prefix}</code> keeps working; only its name changes.
          </p>
        </div>
      </div>
      <div class="card narrow">
        <form class="card-body" method="post" action={renameAction(apiKey)}>
          <CsrfField token={props.page.session?.csrfToken ?? ""} />
          <FormAlert message={props.error ? "Please correct the highlighted fields." : undefined} />
          <div class="field">
            <label for="name">Name</label>
            <input
              id="name"
              name="name"
              type="text"
              required
              maxlength={100}
              autocomplete="off"
              autofocus
              value={props.name}
              aria-invalid={props.error ? "true" : undefined}
              aria-describedby={describedBy("name", props.error)}
            />
            <FieldError id="name-error" message={props.error} />
            <p class="hint" id="name-hint">
              A descriptive name, so you know later where the key is used.
            </p>
          </div>
          <KeyFormActions submit="Save name" />
        </form>
      </div>
    </SettingsShell>
  );
}
