/**
 * The one set of rules for a key's name and expiry, used by the admin API's
 * schemas (src/admin/schemas.ts) and the dashboard's forms
 * (src/dashboard/forms.ts), each with its own words: the API answers
 * "name: is required", the dashboard "Enter a name for the key.".
 *
 * A name is trimmed, 1 to 100 characters, and well-formed Unicode (a lone
 * surrogate cannot be stored as text: D1 would keep U+FFFD in its place). An
 * expiry is strictly in the future; a date without a time means 00:00 UTC
 * that day. The API also takes an ISO-8601 date-time with an offset; the
 * dashboard's `<input type="date">` sends a date only.
 */
import { z } from "zod";

export const MAX_NAME_LENGTH = 100;

/** What each surface says when a rule refuses a value. */
export interface RuleMessages {
  nameRequired: string;
  nameTooLong: string;
  nameNotText: string;
  dateInvalid: string;
  dateNotFuture: string;
}

export type Surface = "api" | "dashboard";

export const MESSAGES: Record<Surface, RuleMessages> = {
  api: {
    nameRequired: "is required",
    nameTooLong: `must be at most ${MAX_NAME_LENGTH} characters`,
    nameNotText: "must be valid Unicode text (no lone surrogates)",
    dateInvalid: "must be an ISO-8601 date or date-time",
    dateNotFuture: "must be in the future",
  },
  dashboard: {
    nameRequired: "Enter a name for the key.",
    nameTooLong: `Use at most ${MAX_NAME_LENGTH} characters for the name.`,
    nameNotText: "Use only text characters in the name.",
    dateInvalid: "Enter a valid date, e.g. 2027-01-31.",
    dateNotFuture: "Choose a date in the future.",
  },
};

/** A key's (or an account's) name: trimmed, 1 to 100 characters, well-formed Unicode. */
export function nameRule(surface: Surface) {
  const say = MESSAGES[surface];
  return z
    .string()
    .trim()
    .min(1, say.nameRequired)
    .max(MAX_NAME_LENGTH, say.nameTooLong)
    .refine((name) => name.isWellFormed(), say.nameNotText);
}

/** An instant strictly in the future, else the surface's message. */
const inFuture = (surface: Surface) =>
  z.date().refine((date) => date.getTime() > Date.now(), MESSAGES[surface].dateNotFuture);

/**
 * An expiry as the admin API takes it: an ISO-8601 date-time with an offset,
 * or a date (read as 00:00 UTC), strictly in the future.
 */
export function expiryRule(surface: Surface) {
  return z
    .union([z.iso.datetime({ offset: true }), z.iso.date()], { error: MESSAGES[surface].dateInvalid })
    .transform((value) => new Date(value))
    .pipe(inFuture(surface));
}

/** An expiry as a date only (`YYYY-MM-DD`, a real calendar day), read as 00:00 UTC, strictly in the future. */
export function expiryDateRule(surface: Surface) {
  return z.iso
    .date({ error: MESSAGES[surface].dateInvalid })
    .transform((value) => new Date(value))
    .pipe(inFuture(surface));
}

/** `YYYY-MM-DD` of an instant, in UTC: how a date-only expiry is written. */
export function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
