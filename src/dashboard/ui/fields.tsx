/**
 * Pieces the dashboard's forms share: the hidden CSRF field every form
 * carries, a labelled field with its hint and, when the server refused it,
 * its error (linked to the input with aria-describedby and aria-invalid),
 * radio choices each with its hint, the alert that a form was refused, and
 * a form's submit button with its Cancel link.
 */
import type { Child } from "hono/jsx";

/** The hidden form field every dashboard form carries its CSRF token in. */
export const CSRF_FIELD = "_csrf";

/** A hidden field with the form's CSRF token. */
export function CsrfField(props: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={props.token} />;
}

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

/** The attributes that tie an input to its field's error and hint. */
export const fieldAria = (field: string, error: string | undefined, hint = true) => ({
  "aria-invalid": error ? "true" : undefined,
  "aria-describedby": describedBy(field, error, hint),
});

/** A labelled field: the label, the input (`children`, with `fieldAria`), then its error and its hint. */
export function Field(props: { id: string; label: Child; hint?: Child; error?: string; children: Child }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.children}
      <FieldError id={`${props.id}-error`} message={props.error} />
      {props.hint && (
        <p class="hint" id={`${props.id}-hint`}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

/** One radio choice: the value it posts, its label and the hint under it. */
export interface Choice {
  value: string;
  label: Child;
  hint: Child;
}

/** The radio buttons of the field `name`, each labelled and described by its hint; `value` is the one checked. */
export function RadioChoices(props: { name: string; choices: readonly Choice[]; value: string }) {
  return (
    <>
      {props.choices.map((choice) => {
        const id = `${props.name}-${choice.value}`;
        return (
          <div class="choice">
            <input
              type="radio"
              id={id}
              name={props.name}
              value={choice.value}
              checked={props.value === choice.value}
              aria-describedby={`${id}-hint`}
            />
            <label for={id}>{choice.label}</label>
            <p class="hint" id={`${id}-hint`}>
              {choice.hint}
            </p>
          </div>
        );
      })}
    </>
  );
}

/** A form's submit button and its Cancel link (to `cancel`). */
export function FormActions(props: { submit: string; cancel: string; danger?: boolean }) {
  return (
    <div class="actions">
      <button type="submit" class={props.danger ? "btn btn-danger" : "btn btn-primary"}>
        {props.submit}
      </button>
      <a class="btn btn-secondary" href={props.cancel}>
        Cancel
      </a>
    </div>
  );
}
