/**
 * Pieces the key pages share: a key's Name field, as Create New Key and the
 * rename page ask for it (required, at most the admin API's MAX_NAME_LENGTH
 * characters, with its hint and, when the server refused it, its error next
 * to it); and a key's name and prefix as the first terms of its details.
 */
import type { Child } from "hono/jsx";
import type { ApiKey } from "../../db/schema";
import { MAX_NAME_LENGTH } from "../../keys/rules";
import { Field, fieldAria } from "../ui/fields";

/** The labelled Name input, focused first, holding `value`. */
export function NameField(props: { value: string; error?: string; placeholder?: string }) {
  return (
    <Field
      id="name"
      label="Name"
      error={props.error}
      hint="A descriptive name, so you know later where the key is used."
    >
      <input
        id="name"
        name="name"
        type="text"
        required
        maxlength={MAX_NAME_LENGTH}
        autocomplete="off"
        autofocus
        placeholder={props.placeholder}
        value={props.value}
        {...fieldAria("name", props.error)}
      />
    </Field>
  );
}

/** A key's details: its name and prefix, then the terms the page adds (`children`). */
export function KeyTerms(props: { apiKey: ApiKey; children: Child }) {
  return (
    <dl class="details">
      <dt>Name</dt>
      <dd>
        <strong>{props.apiKey.name}</strong>
      </dd>
      <dt>Prefix</dt>
      <dd>
        <code class="prefix">{props.apiKey.prefix}</code>
      </dd>
      {props.children}
    </dl>
  );
}
