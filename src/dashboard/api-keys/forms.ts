/**
 * The key forms (create, rename, roll, restrictions), validated server-side
 * with zod. The name, expiry and restriction rules are the admin API's
 * (src/keys/rules.ts, src/restrictions/rules.ts), in the dashboard's words;
 * a list is typed one entry per line, and its message names the line. A failed validation gives one plain-language message
 * per field, shown next to that field when the form is rendered again with
 * what the user entered.
 */
import { z } from "zod";
import { KEY_MODES } from "../../keys/mode";
import { expiryDateRule, isoDay, nameRule } from "../../keys/rules";
import { READ_ONLY, WILDCARD } from "../../keys/scopes";
import {
  allowedIpsRule,
  allowedSenderDomainsRule,
  MAX_ALLOWED_IPS,
  MAX_SENDER_DOMAINS,
} from "../../restrictions/rules";
import { textOf } from "../ui/form-body";

export type Permissions = "full" | "read" | "custom";
export type Access = "none" | "read" | "write";

/** What the user typed into a key's restriction fields: one entry per line. */
export interface RestrictionValues {
  allowedIps: string;
  allowedSenderDomains: string;
}

/** What the user typed into the "Create New Key" form, as strings. */
export interface NewKeyValues extends RestrictionValues {
  name: string;
  expiresOn: string;
  permissions: string;
  /** Custom permissions: each offered resource's access, by resource name. */
  access: Record<string, string>;
  /** `live` or `test`. */
  mode: string;
}

export type FieldErrors<T> = Partial<Record<keyof T, string>>;

/** The form field of a resource's access in custom permissions. */
export const accessField = (resource: string) => `access.${resource}`;

/** The grace periods a roll offers, in seconds: none, 1 hour, 24 hours, 7 days. */
export const GRACE_PERIODS = [0, 3_600, 86_400, 604_800] as const;

/** The values of a zod issue list, one message per field (the first). */
function errorsOf<T>(error: z.ZodError): FieldErrors<T> {
  const errors: FieldErrors<T> = {};
  for (const issue of error.issues) errors[issue.path[0] as keyof T] ??= issue.message;
  return errors;
}

/** An `<input type="date">` value: empty for no expiry, else the shared expiry rule. */
const optionalExpiry = z
  .string()
  .trim()
  .transform((value, ctx) => {
    if (value === "") return null;
    const parsed = expiryDateRule("dashboard").safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", message: issue.message });
    return z.NEVER;
  });

/**
 * A list field typed one entry per line (blank lines and spaces around an
 * entry ignored): null when empty ("any"), else what `rule` makes of the
 * entries, its message prefixed with the line at fault. Only the first
 * `max` + 1 entries are read: one more than the rule allows is enough to say so.
 */
function linesOf<T>(rule: z.ZodType<T, string[]>, max: number) {
  return z.string().transform((text, ctx) => {
    const entries = text
      .split(/\r\n|\r|\n/)
      .map((line, i) => ({ entry: line.trim(), line: i + 1 }))
      .filter(({ entry }) => entry !== "")
      .slice(0, max + 1);
    if (entries.length === 0) return null;
    const result = rule.safeParse(entries.map(({ entry }) => entry));
    if (result.success) return result.data;
    for (const issue of result.error.issues) {
      const at = typeof issue.path[0] === "number" ? entries[issue.path[0]]?.line : undefined;
      ctx.addIssue({ code: "custom", message: at === undefined ? issue.message : `Line ${at}: ${issue.message}` });
    }
    return z.NEVER;
  });
}

/** The restriction fields, as the create and the restrictions forms read them. */
const restrictionFields = {
  allowedIps: linesOf(allowedIpsRule("dashboard"), MAX_ALLOWED_IPS),
  allowedSenderDomains: linesOf(allowedSenderDomainsRule("dashboard"), MAX_SENDER_DOMAINS),
};

const restrictionValues = (body: Record<string, unknown>): RestrictionValues => ({
  allowedIps: textOf(body.allowedIps),
  allowedSenderDomains: textOf(body.allowedSenderDomains),
});

/** A key's stored restrictions as the form shows them: one entry per line (stored forms: Punycode for domains). */
export const restrictionValuesOf = (key: {
  allowedIps: string[] | null;
  allowedSenderDomains: string[] | null;
}): RestrictionValues => ({
  allowedIps: (key.allowedIps ?? []).join("\n"),
  allowedSenderDomains: (key.allowedSenderDomains ?? []).join("\n"),
});

/** Reads a key's restrictions form: the typed values, and either the restrictions (null: any) or an error per field. */
export function parseRestrictionsForm(body: Record<string, unknown>) {
  const values = restrictionValues(body);
  const result = z.object(restrictionFields).safeParse(values);
  if (!result.success) return { values, restrictions: null, errors: errorsOf<RestrictionValues>(result.error) };
  return { values, restrictions: result.data, errors: null };
}

/** The scopes of a permissions choice, or null when a custom choice grants nothing. */
function scopesOf(values: NewKeyValues, resources: readonly string[]): string[] | null {
  if (values.permissions === "full") return [WILDCARD];
  if (values.permissions === "read") return [READ_ONLY];
  const scopes = resources.flatMap((resource) => {
    const access = values.access[resource];
    return access === "read" || access === "write" ? [`${resource}:${access}`] : [];
  });
  return scopes.length > 0 ? scopes : null;
}

/** Reads the new-key form: the typed values, and either the key input or an error per field. */
export function parseNewKeyForm(body: Record<string, unknown>, resources: readonly string[]) {
  const values: NewKeyValues = {
    name: textOf(body.name),
    expiresOn: textOf(body.expiresOn),
    permissions: textOf(body.permissions) || "full",
    access: Object.fromEntries(resources.map((resource) => [resource, textOf(body[accessField(resource)]) || "none"])),
    mode: textOf(body.mode) || "live",
    ...restrictionValues(body),
  };
  const allowed: string[] = resources.length > 0 ? ["full", "read", "custom"] : ["full", "read"];
  const form = z.object({
    name: nameRule("dashboard"),
    expiresOn: optionalExpiry,
    permissions: z
      .string()
      .refine((choice) => allowed.includes(choice), "Choose one of the permissions offered.")
      .transform(() => scopesOf(values, resources))
      .refine((scopes) => scopes !== null, "Give the key read or read and write access to at least one resource."),
    mode: z.enum(KEY_MODES, { error: "Choose Live or Test." }),
    ...restrictionFields,
  });
  const result = form.safeParse(values);
  if (!result.success) return { values, input: null, errors: errorsOf<NewKeyValues>(result.error) };
  const { name, expiresOn, permissions, mode, allowedIps, allowedSenderDomains } = result.data;
  const input = { name, expiresAt: expiresOn, scopes: permissions as string[], mode, allowedIps, allowedSenderDomains };
  return { values, input, errors: null };
}

/** Reads the rename form: the typed name, and either the new name or its error. */
export function parseRenameForm(body: Record<string, unknown>) {
  const values = { name: textOf(body.name) };
  const result = z.object({ name: nameRule("dashboard") }).safeParse(values);
  if (!result.success) return { values, name: null, errors: errorsOf<typeof values>(result.error) };
  return { values, name: result.data.name, errors: null };
}

/** Reads the roll form: the grace period in seconds, or null when none of the offered ones was chosen. */
export function parseRollForm(body: Record<string, unknown>): number | null {
  const seconds = Number(textOf(body.grace));
  return textOf(body.grace) !== "" && (GRACE_PERIODS as readonly number[]).includes(seconds) ? seconds : null;
}

/** The earliest date the expiration field accepts: tomorrow, in UTC. */
export function earliestExpiry(now = Date.now()): string {
  return isoDay(new Date(now + 86_400_000));
}
