/**
 * A key's mode and restrictions (CONTRACT §8), in words and as form fields:
 * the Mode choice of Create New Key (Live, the default, or Test: fixed once
 * the key exists), and the allowed IP addresses and sender domains, typed
 * one per line, which Create New Key and the key's Restrictions page share.
 * Domains are shown as stored, international ones in Punycode (`xn--…`), the
 * form they are compared in, so a look-alike never reads as the name it
 * imitates.
 */
import type { ApiKey } from "../../db/schema";
import { MAX_ALLOWED_IPS, MAX_SENDER_DOMAINS } from "../../restrictions/rules";
import { Field, FieldError, fieldAria, RadioChoices } from "../ui/fields";
import type { FieldErrors, RestrictionValues } from "./forms";

const MODES = [
  {
    value: "live",
    label: "Live",
    hint: "For your applications: requests act for real, and count against your quota.",
  },
  {
    value: "test",
    label: "Test",
    hint: "For development and CI: requests go to the MoMail sandbox, deliver nothing, and never count against your quota. A key's mode cannot be changed later.",
  },
] as const;

/** The "Mode" fieldset of Create New Key. */
export function ModeFieldset(props: { value: string; error?: string }) {
  return (
    <fieldset class="field" aria-describedby={props.error ? "mode-error" : undefined}>
      <legend>Mode</legend>
      <FieldError id="mode-error" message={props.error} />
      <RadioChoices name="mode" choices={MODES} value={props.value} />
    </fieldset>
  );
}

function ListField(props: { id: keyof RestrictionValues; label: string; value: string; error?: string; hint: string }) {
  const label = (
    <>
      {props.label} <span class="optional">(optional)</span>
    </>
  );
  return (
    <Field id={props.id} label={label} error={props.error} hint={props.hint}>
      <textarea
        id={props.id}
        name={props.id}
        rows={3}
        spellcheck={false}
        autocomplete="off"
        autocapitalize="off"
        {...fieldAria(props.id, props.error)}
      >
        {props.value}
      </textarea>
    </Field>
  );
}

/** The allowed IP addresses and sender domains, one per line. */
export function RestrictionFields(props: { values: RestrictionValues; errors: FieldErrors<RestrictionValues> }) {
  return (
    <>
      <ListField
        id="allowedIps"
        label="Allowed IP addresses"
        value={props.values.allowedIps}
        error={props.errors.allowedIps}
        hint={`One address or range per line, such as 203.0.113.7 or 198.51.100.0/24 (IPv6 too; at most ${MAX_ALLOWED_IPS}). Requests from anywhere else are refused. Leave empty to allow any address.`}
      />
      <ListField
        id="allowedSenderDomains"
        label="Allowed sender domains"
        value={props.values.allowedSenderDomains}
        error={props.errors.allowedSenderDomains}
        hint={`One domain per line, such as example.com (at most ${MAX_SENDER_DOMAINS}). The key can send email only from these domains and their subdomains. Leave empty to allow any.`}
      />
    </>
  );
}

/** What a key is restricted by, in words, or undefined when it is not. */
export function describeRestrictions(key: Pick<ApiKey, "allowedIps" | "allowedSenderDomains">): string | undefined {
  const parts = [key.allowedIps && "IPs", key.allowedSenderDomains && "senders"].filter(Boolean);
  return parts.length > 0 ? `Restricted: ${parts.join(", ")}` : undefined;
}
