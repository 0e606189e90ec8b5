/**
 * The "Create New Key" form: a descriptive name (required, at most 100
 * characters) and an optional expiration date. When the server refuses it,
 * the form comes back with what was entered and a message next to each field
 * at fault, linked to its input for screen readers.
 */

import { earliestExpiry, type FieldErrors, type NewKeyValues } from "../forms";
import { CsrfField, type PageContext, SettingsShell } from "../layout";

export interface NewKeyPageProps {
  page: PageContext;
  values: NewKeyValues;
  errors?: FieldErrors<NewKeyValues>;
}

function FieldError(props: { id: string; message?: string }) {
  if (!props.message) return null;
  return (
    <p class="field-error" id={props.id}>
      {props.message}
    </p>
  );
}

/** The form that creates a key. */
export function NewKeyPage(props: NewKeyPageProps) {
  const errors = props.errors ?? {};
  const csrfToken = props.page.session?.csrfToken ?? "";
  return (
    <SettingsShell page={props.page} title="Create New Key" current="api-keys">
      <div class="page-header">
        <div>
          <h1>Create New Key</h1>
          <p>The full key is shown once, right after you create it.</p>
        </div>
      </div>
      <div class="card narrow">
        <form class="card-body" method="post" action="/dashboard/settings/api-keys">
          <CsrfField token={csrfToken} />
          {Object.keys(errors).length > 0 && (
            <div class="alert alert-error" role="alert">
              Please correct the highlighted fields.
            </div>
          )}
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
              placeholder="e.g. Production server"
              value={props.values.name}
              aria-invalid={errors.name ? "true" : undefined}
              aria-describedby={errors.name ? "name-error name-hint" : "name-hint"}
            />
            <FieldError id="name-error" message={errors.name} />
            <p class="hint" id="name-hint">
              A descriptive name, so you know later where the key is used.
            </p>
          </div>
          <div class="field">
            <label for="expiresOn">
              Expiration date <span class="optional">(optional)</span>
            </label>
            <input
              id="expiresOn"
              name="expiresOn"
              type="date"
              min={earliestExpiry()}
              value={props.values.expiresOn}
              aria-invalid={errors.expiresOn ? "true" : undefined}
              aria-describedby={errors.expiresOn ? "expiresOn-error expiresOn-hint" : "expiresOn-hint"}
            />
            <FieldError id="expiresOn-error" message={errors.expiresOn} />
            <p class="hint" id="expiresOn-hint">
              The key stops working at 00:00 UTC on this date. Leave empty for a key that does not expire.
            </p>
          </div>
          <div class="actions">
            <button type="submit" class="btn btn-primary">
              Create key
            </button>
            <a class="btn btn-secondary" href="/dashboard/settings/api-keys">
              Cancel
            </a>
          </div>
        </form>
      </div>
    </SettingsShell>
  );
}
