/**
 * The "Create New Key" form: a descriptive name (required, at most 100
 * characters), an optional expiration date, and the permissions (Full
 * access by default, Read only, or Custom per resource). When the server
 * refuses it, the form comes back with what was entered and a message next
 * to each field at fault, linked to its input for screen readers; when the
 * account holds its maximum of keys, the 409's message says so.
 */

import { earliestExpiry, type FieldErrors, type NewKeyValues } from "../forms";
import { CsrfField, type PageContext, SettingsShell } from "../layout";
import { describedBy, FieldError, FormAlert, KeyFormActions } from "./fields";
import { PermissionsFieldset } from "./permissions";

export interface NewKeyPageProps {
  page: PageContext;
  values: NewKeyValues;
  /** The resources offered for custom permissions (DASHBOARD_RESOURCES). */
  resources: readonly string[];
  errors?: FieldErrors<NewKeyValues>;
  /** Why nothing was created, e.g. the 409 of a full account. */
  refused?: string;
  /** Shown before submitting when the account already holds its maximum of keys. */
  capNotice?: string;
}

/** The form that creates a key. */
export function NewKeyPage(props: NewKeyPageProps) {
  const errors = props.errors ?? {};
  const csrfToken = props.page.session?.csrfToken ?? "";
  const summary = Object.keys(errors).length > 0 ? "Please correct the highlighted fields." : undefined;
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
          <FormAlert message={props.refused ?? summary} />
          {!props.refused && props.capNotice && (
            <div class="alert alert-warning" role="status">
              {props.capNotice}
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
              aria-describedby={describedBy("name", errors.name)}
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
              aria-describedby={describedBy("expiresOn", errors.expiresOn)}
            />
            <FieldError id="expiresOn-error" message={errors.expiresOn} />
            <p class="hint" id="expiresOn-hint">
              The key stops working at 00:00 UTC on this date. Leave empty for a key that does not expire.
            </p>
          </div>
          <PermissionsFieldset values={props.values} resources={props.resources} error={errors.permissions} />
          <KeyFormActions submit="Create key" />
        </form>
      </div>
    </SettingsShell>
  );
}
