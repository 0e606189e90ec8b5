/**
 * The "Create New Key" form: a descriptive name (required, at most 100
 * characters), an optional expiration date, the permissions (Full
 * access by default, Read only, or Custom per resource), the mode (Live by
 * default, or Test) and, optionally, the IP addresses the key may be used
 * from and the domains it may send from. When the server
 * refuses it, the form comes back with what was entered and a message next
 * to each field at fault, linked to its input for screen readers; when the
 * account holds its maximum of keys, the 409's message says so.
 */

import { routes } from "../routes";
import { CsrfField, Field, FormActions, FormAlert, fieldAria } from "../ui/fields";
import { type PageContext, PageHeader } from "../ui/layout";
import { SettingsShell } from "../ui/settings";
import { earliestExpiry, type FieldErrors, type NewKeyValues } from "./forms";
import { NameField } from "./key-parts";
import { PermissionsFieldset } from "./permissions";
import { ModeFieldset, RestrictionFields } from "./restrictions";

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
  const optional = (
    <>
      Expiration date <span class="optional">(optional)</span>
    </>
  );
  return (
    <SettingsShell page={props.page} title="Create New Key" current="api-keys">
      <PageHeader heading="Create New Key">The full key is shown once, right after you create it.</PageHeader>
      <div class="card narrow">
        <form class="card-body" method="post" action={routes.apiKeys.href()}>
          <CsrfField token={csrfToken} />
          <FormAlert message={props.refused ?? summary} />
          {!props.refused && props.capNotice && (
            <div class="alert alert-warning" role="status">
              {props.capNotice}
            </div>
          )}
          <NameField value={props.values.name} error={errors.name} placeholder="e.g. Production server" />
          <Field
            id="expiresOn"
            label={optional}
            error={errors.expiresOn}
            hint="The key stops working at 00:00 UTC on this date. Leave empty for a key that does not expire."
          >
            <input
              id="expiresOn"
              name="expiresOn"
              type="date"
              min={earliestExpiry()}
              value={props.values.expiresOn}
              {...fieldAria("expiresOn", errors.expiresOn)}
            />
          </Field>
          <PermissionsFieldset values={props.values} resources={props.resources} error={errors.permissions} />
          <ModeFieldset value={props.values.mode} error={errors.mode} />
          <RestrictionFields values={props.values} errors={errors} />
          <FormActions submit="Create key" cancel={routes.apiKeys.href()} />
        </form>
      </div>
    </SettingsShell>
  );
}
