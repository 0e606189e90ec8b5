/**
 * Pieces the dashboard's forms share: a field's error message (linked to its
 * input with aria-describedby), the alert that a form was refused, the
 * `aria-describedby` of an input with a hint and maybe an error, and the
 * submit button with its Cancel link back to the key list.
 */

/** The message under a field that the server refused; nothing when there is none. */
export function FieldError(props: { id: string; message?: string }) {
  if (!props.message) return null;
  return (
    <p class="field-error" id={props.id}>
      {props.message}
    </p>
  );
}

/** The alert at the top of a refused form: a summary, or the server's own message (e.g. a 409's). */
export function FormAlert(props: { message?: string }) {
  if (!props.message) return null;
  return (
    <div class="alert alert-error" role="alert">
      {props.message}
    </div>
  );
}

/** `aria-describedby` for a field: its error first (when there is one), then its hint. */
export const describedBy = (field: string, error: string | undefined, hint = true) =>
  [error ? `${field}-error` : "", hint ? `${field}-hint` : ""].filter(Boolean).join(" ") || undefined;

/** A key form's submit button and its Cancel link back to the key list. */
export function KeyFormActions(props: { submit: string; danger?: boolean }) {
  return (
    <div class="actions">
      <button type="submit" class={props.danger ? "btn btn-danger" : "btn btn-primary"}>
        {props.submit}
      </button>
      <a class="btn btn-secondary" href="/dashboard/settings/api-keys">
        Cancel
      </a>
    </div>
  );
}
