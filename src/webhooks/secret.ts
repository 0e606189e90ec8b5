/**
 * Webhook signing secrets. A secret signs, so the gateway must be able to
 * read it back: it cannot be stored as a hash like an API key. It is stored
 * encrypted instead, with AES-256-GCM under a key derived (HKDF-SHA-256, its
 * own label) from the current KEY_PEPPER, the account id as associated data:
 * a copy of D1 alone reveals no secret, and a sealed secret moved to another
 * account does not open. The pepper's version is kept beside the ciphertext,
 * so a secret sealed before a pepper rotation still opens while that pepper
 * is in KEY_PEPPERS_RETIRED (set the webhook again before dropping it).
 *
 * Format: `v1.{pepperVersion}.{iv base64url}.{ciphertext base64url}`. A
 * rolled-out secret keeps its sealed text, moved to its own column.
 */
import type { Config } from "../config";
import { toBase64 } from "../crypto";
import { WEBHOOK_SECRET_PREFIX } from "../verify/webhook";

const encoder = new TextEncoder();
const LABEL = encoder.encode("momail webhook secret v1");
const keys = new Map<string, Promise<CryptoKey>>();

/**
 * A new signing secret: `whsec_` and the base64 of 32 random bytes (the
 * Standard Webhooks format; its signature is keyed with those bytes, the
 * MoMail-Signature with the whole string, see src/verify/webhook.ts).
 * Secrets issued before were `whsec_` and 32 base62 characters: they keep
 * signing until rolled, and stock libraries read them as 24 bytes.
 */
export function newWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

function sealingKey(pepper: string): Promise<CryptoKey> {
  let key = keys.get(pepper);
  if (!key) {
    key = crypto.subtle
      .importKey("raw", encoder.encode(pepper), "HKDF", false, ["deriveKey"])
      .then((material) =>
        crypto.subtle.deriveKey(
          { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(0), info: LABEL },
          material,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        ),
      );
    keys.set(pepper, key);
  }
  return key;
}

const toBase64Url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");

const fromBase64Url = (text: string) =>
  Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (char) => char.charCodeAt(0));

/** `secret` encrypted for the account's row. */
export async function sealSecret(config: Config, accountId: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await sealingKey(config.KEY_PEPPER);
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(accountId) },
    key,
    encoder.encode(secret),
  );
  return `v1.${config.KEY_PEPPER_VERSION}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(sealed))}`;
}

/** The secret sealed for this account, or null if it does not open (wrong account, unknown pepper, tampered). */
export async function openSecret(config: Config, accountId: string, sealed: string): Promise<string | null> {
  const [version, pepperVersion, iv, data] = sealed.split(".");
  const pepper = config.peppers.get(Number(pepperVersion));
  if (version !== "v1" || pepper === undefined || !iv || !data) return null;
  try {
    const opened = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: fromBase64Url(iv), additionalData: encoder.encode(accountId) },
      await sealingKey(pepper),
      fromBase64Url(data),
    );
    return new TextDecoder().decode(opened);
  } catch {
    return null;
  }
}
