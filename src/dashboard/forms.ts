/**
 * The dashboard's forms, validated server-side with zod. A failed validation
 * gives one plain-language message per field, shown next to that field when
 * the form is rendered again with what the user entered.
 */
import { z } from "zod";

/** What the user typed into the "Create New Key" form, as strings. */
export interface NewKeyValues {
  name: string;
  expiresOn: string;
}

export type FieldErrors<T> = Partial<Record<keyof T, string>>;

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` of a date, in UTC. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** An `<input type="date">` value, read as 00:00 UTC that day (as the admin API reads a date). */
const expiration = z
  .string()
  .trim()
  .transform((value, ctx) => {
    if (value === "") return null;
    const match = DATE_PATTERN.exec(value);
    const date = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
    if (!date || Number.isNaN(date.getTime()) || isoDay(date) !== value) {
      ctx.addIssue({ code: "custom", message: "Enter a valid date, e.g. 2027-01-31." });
      return z.NEVER;
    }
    if (date.getTime() <= Date.now()) {
      ctx.addIssue({ code: "custom", message: "Choose a date in the future." });
      return z.NEVER;
    }
    return date;
  });

const NewKeyForm = z.object({
  name: z.string().trim().min(1, "Enter a name for the key.").max(100, "Use at most 100 characters for the name."),
  expiresOn: expiration,
});

/** Reads the new-key form: the typed values, and either the key input or an error per field. */
export function parseNewKeyForm(body: Record<string, unknown>) {
  const values: NewKeyValues = {
    name: typeof body.name === "string" ? body.name : "",
    expiresOn: typeof body.expiresOn === "string" ? body.expiresOn : "",
  };
  const result = NewKeyForm.safeParse(values);
  if (result.success) {
    return { values, input: { name: result.data.name, expiresAt: result.data.expiresOn }, errors: null };
  }
  const errors: FieldErrors<NewKeyValues> = {};
  for (const issue of result.error.issues) {
    const field = issue.path[0] as keyof NewKeyValues;
    errors[field] ??= issue.message;
  }
  return { values, input: null, errors };
}

/** The earliest date the expiration field accepts: tomorrow, in UTC. */
export function earliestExpiry(now = Date.now()): string {
  return isoDay(new Date(now + 86_400_000));
}
