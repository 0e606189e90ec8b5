/**
 * A key's permissions, in words and as a form: "Full access" (scopes `*`),
 * "Read only" (`*:read`: GET and HEAD on every resource), or custom access
 * per resource (`{resource}:read`, or `{resource}:write`, which implies
 * read), offered for the resources of DASHBOARD_RESOURCES.
 */

import { READ_ONLY, WILDCARD } from "../../keys/scopes";
import { FieldError, RadioChoices } from "../ui/fields";
import { accessField, type NewKeyValues } from "./forms";

/** A key's scopes in words: "Full access", "Read only", or "domains: read · messages: read & write". */
export function describeScopes(scopes: readonly string[]): string {
  if (scopes.includes(WILDCARD)) return "Full access";
  if (scopes.length === 1 && scopes[0] === READ_ONLY) return "Read only";
  return scopes
    .map((scope) => {
      if (scope === READ_ONLY) return "all: read";
      const [resource, access] = scope.split(":");
      return `${resource}: ${access === "write" ? "read & write" : "read"}`;
    })
    .join(" · ");
}

const CHOICES = [
  { value: "full", label: "Full access", hint: "Every request, on every resource." },
  { value: "read", label: "Read only", hint: "GET and HEAD on every resource; nothing that changes data." },
  { value: "custom", label: "Custom", hint: "Choose the access to each resource." },
] as const;

const ACCESS = [
  { value: "none", label: "No access" },
  { value: "read", label: "Read" },
  { value: "write", label: "Read and write" },
] as const;

/** The "Permissions" fieldset of the Create New Key form. */
export function PermissionsFieldset(props: { values: NewKeyValues; resources: readonly string[]; error?: string }) {
  const choices = props.resources.length > 0 ? CHOICES : CHOICES.filter((choice) => choice.value !== "custom");
  return (
    <fieldset class="field" aria-describedby={props.error ? "permissions-error" : undefined}>
      <legend>Permissions</legend>
      <FieldError id="permissions-error" message={props.error} />
      <RadioChoices name="permissions" choices={choices} value={props.values.permissions} />
      {props.resources.length > 0 && (
        <table class="access">
          <caption>Custom access, used when Custom is chosen</caption>
          <thead>
            <tr>
              <th scope="col">Resource</th>
              <th scope="col">Access</th>
            </tr>
          </thead>
          <tbody>
            {props.resources.map((resource) => (
              <tr>
                <th scope="row">
                  <label for={`access-${resource}`}>
                    <code>{resource}</code>
                  </label>
                </th>
                <td>
                  <select id={`access-${resource}`} name={accessField(resource)}>
                    {ACCESS.map((access) => (
                      <option value={access.value} selected={props.values.access[resource] === access.value}>
                        {access.label}
                      </option>
                    ))}
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </fieldset>
  );
}
