/**
 * The dashboard's random tokens: a session's token, the login form's
 * double-submit token, a trusted device's id and the id of a secret held for
 * one view are all 32 random bytes in base64url, without padding (43
 * characters). Anything that comes back from a browser as one of them is
 * checked against that one shape first, so a malformed value costs no
 * lookup and never reaches D1.
 */

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** 32 random bytes, base64url without padding (43 characters). */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** Whether `value` has the shape of a token `randomToken` makes. */
export function isToken(value: unknown): value is string {
  return typeof value === "string" && TOKEN.test(value);
}
