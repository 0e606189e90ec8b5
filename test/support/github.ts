/**
 * Playing GitHub's part in secret scanning: a P-256 key pair made in the
 * test, its public key published on the stand-in server (github-keys.ts),
 * and reports signed as GitHub signs them: ECDSA SHA-256 over the raw body,
 * base64 DER, with the key identifier beside it.
 */
import { env } from "cloudflare:workers";
import { KEYS_CACHE_KEY } from "../../src/secret-scanning/public-keys";
import { gateway } from "./helpers";

const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** A DER INTEGER of an unsigned big-endian number (minimal, positive). */
function derInteger(bytes: Uint8Array): number[] {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const value = [...bytes.subarray(start)];
  if ((value[0] as number) & 0x80) value.unshift(0);
  return [0x02, value.length, ...value];
}

/** WebCrypto's r‖s as the DER `SEQUENCE { INTEGER r, INTEGER s }` GitHub sends. */
export function rawToDer(raw: Uint8Array): Uint8Array {
  const body = [...derInteger(raw.subarray(0, 32)), ...derInteger(raw.subarray(32))];
  return new Uint8Array([0x30, body.length, ...body]);
}

export interface GithubKey {
  keyId: string;
  pem: string;
  /** The signature headers of `body` under this key. */
  sign(body: string | Uint8Array): Promise<Record<string, string>>;
}

/** A new signing key of "GitHub" (not yet published). */
export async function newGithubKey(keyId = `ghkey-${crypto.randomUUID()}`): Promise<GithubKey> {
  const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const spki = new Uint8Array((await crypto.subtle.exportKey("spki", pair.publicKey)) as ArrayBuffer);
  const pem = `-----BEGIN PUBLIC KEY-----\n${base64(spki).replace(/.{64}/g, "$&\n")}\n-----END PUBLIC KEY-----\n`;
  return {
    keyId,
    pem,
    async sign(body) {
      const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
      const raw = new Uint8Array(await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, pair.privateKey, bytes));
      return {
        "Github-Public-Key-Identifier": keyId,
        "Github-Public-Key-Signature": base64(rawToDer(raw)),
      };
    },
  };
}

const server = () => `http://127.0.0.1:${env.GITHUB_KEYS_PORT}`;

/** Publishes exactly these keys on the stand-in, the first one current. */
export async function publishKeys(keys: GithubKey[]): Promise<void> {
  const public_keys = keys.map((key, i) => ({ key_identifier: key.keyId, key: key.pem, is_current: i === 0 }));
  await fetch(`${server()}/__keys`, { method: "PUT", body: JSON.stringify({ public_keys }) });
}

/** How many times the gateway fetched the key list so far (`failing`: the list that answers 503). */
export async function keyFetches(list: "fetches" | "failing" = "fetches"): Promise<number> {
  return ((await (await fetch(`${server()}/__fetches`)).json()) as Record<string, number>)[list] as number;
}

/** A key list URL on the stand-in that always answers 503. */
export const failingKeysUrl = () => `${server()}/meta/public_keys/failing`;

/** Drops the gateway's cached key list, or makes it, and its last fetch attempt, `ageMs` old. */
export async function resetKeyCache(ageMs?: number): Promise<void> {
  if (ageMs === undefined) return env.KEYS_CACHE.delete(KEYS_CACHE_KEY);
  const cached = await env.KEYS_CACHE.get<{ fetchedAt: number; triedAt: number }>(KEYS_CACHE_KEY, "json");
  if (!cached) return;
  const aged = { ...cached, fetchedAt: cached.fetchedAt && Date.now() - ageMs, triedAt: Date.now() - ageMs };
  await env.KEYS_CACHE.put(KEYS_CACHE_KEY, JSON.stringify(aged));
}

/** One token as GitHub reports it. */
export const found = (token: string, url = "https://github.com/acme/app/blob/abc123/.env", source = "commit") => ({
  token,
  type: "momail_api_key",
  url,
  source,
});

/** POSTs a report to the gateway's GitHub endpoint, signed with `key` unless headers are given. */
export async function sendReport(body: string, headers: Record<string, string>): Promise<Response> {
  return gateway("/secret-scanning/github", {
    method: "POST",
    headers: { "Content-Type": "application/json", "CF-Connecting-IP": "140.82.115.1", ...headers },
    body,
  });
}
