/**
 * A browser, as far as the dashboard tests need one: a cookie jar (Path and
 * Max-Age honoured), the site's Origin on every form post, the CSRF token
 * read from the last page, and redirects shown rather than followed. Each
 * browser has its own client address (CF-Connecting-IP), so the login
 * throttle of one test never counts another test's failures. The tests
 * build their URLs with the dashboard's own route table (`routes`), which
 * test/dashboard/routes.test.ts pins to the documented addresses.
 */
import { env } from "cloudflare:workers";
import { HOME, routes } from "../../src/dashboard/routes";
import { countingEnv } from "./counting-env";
import { admin, createAccount, gateway } from "./helpers";

export { DASHBOARD_BASE, routes } from "../../src/dashboard/routes";

export const ORIGIN = "http://localhost";
let addresses = 0;

/** A fresh account (with `accountInput` over the defaults) with one dashboard user. */
export async function accountWithUser(password = "correct horse battery", accountInput: Record<string, unknown> = {}) {
  const account = await createAccount({ name: "Acme Mail", ...accountInput });
  const email = `user-${crypto.randomUUID()}@acme.test`;
  const response = await admin("POST", `/accounts/${account.id}/users`, { email, password });
  if (response.status !== 201) throw new Error(`user creation failed: ${response.status} ${await response.text()}`);
  return { account, email, password };
}

/** `text` as a regular expression that matches it literally (a URL in a pattern). */
export const literally = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** The value of the page's CSRF field, if it has one. */
export function csrfTokenOf(html: string): string | undefined {
  return /name="_csrf" value="([^"]*)"/.exec(html)?.[1];
}

export class Browser {
  readonly cookies = new Map<string, { value: string; path: string }>();
  /** The last HTML page received. */
  html = "";

  constructor(
    readonly ip = `198.51.100.${++addresses % 250}-${crypto.randomUUID().slice(0, 8)}`,
    /** How requests reach the gateway: its own fetch, or one with other bindings (`countingEnv(…).fetch`). */
    private readonly send: (path: string, init: RequestInit) => Promise<Response> = gateway,
  ) {}

  private cookieHeader(path: string): string {
    return [...this.cookies]
      .filter(([, cookie]) => path === cookie.path || path.startsWith(`${cookie.path}/`) || cookie.path === "/")
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join("; ");
  }

  private remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";").map((part) => part.trim());
      const name = pair.slice(0, pair.indexOf("="));
      const value = pair.slice(pair.indexOf("=") + 1);
      const path = attributes.find((a) => /^path=/i.test(a))?.slice(5) ?? "/";
      const gone = attributes.some((a) => /^max-age=0$/i.test(a) || /^expires=.*1970/i.test(a));
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, { value, path });
    }
  }

  /** Any request, with this browser's cookies and address; the response's cookies are kept. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(new URL(path, ORIGIN).pathname);
    if (cookie && !headers.has("Cookie")) headers.set("Cookie", cookie);
    headers.set("CF-Connecting-IP", this.ip);
    const response = await this.send(path, { ...init, headers, redirect: "manual" });
    this.remember(response);
    if (response.headers.get("content-type")?.startsWith("text/html")) {
      this.html = await response.clone().text();
    }
    return response;
  }

  get(path: string): Promise<Response> {
    return this.fetch(path);
  }

  /** Follows a redirect answer (a GET of its Location); throws if it is not one. */
  follow(response: Response): Promise<Response> {
    const location = response.headers.get("location");
    if (response.status !== 303 || !location)
      throw new Error(`not a 303: ${response.status} ${this.html.slice(0, 200)}`);
    return this.get(location);
  }

  /** A form post as a browser sends it: urlencoded, with Origin and (unless given) the last page's token. */
  post(path: string, fields: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Response> {
    const token = csrfTokenOf(this.html);
    const form = new URLSearchParams(token === undefined ? fields : { _csrf: token, ...fields });
    return this.fetch(path, {
      method: "POST",
      headers: { Origin: ORIGIN, "Content-Type": "application/x-www-form-urlencoded", ...headers },
      body: form.toString(),
    });
  }

  /** Opens the login page and logs in; throws unless it lands on the API keys page. */
  async login(email: string, password: string): Promise<void> {
    await this.get(routes.login.href());
    const response = await this.post(routes.login.href(), { email, password });
    if (response.status !== 303 || response.headers.get("location") !== HOME.href()) {
      throw new Error(`login failed: ${response.status} ${this.html.slice(0, 200)}`);
    }
  }
}

/**
 * A browser signed in as a fresh account's user; `accountInput` sets the
 * account's limits, `bindings` the gateway's variables (e.g. DASHBOARD_RESOURCES).
 */
export async function signedIn(accountInput: Record<string, unknown> = {}, bindings?: Record<string, unknown>) {
  const user = await accountWithUser(undefined, accountInput);
  const browser = bindings ? new Browser(undefined, countingEnv(bindings).fetch) : new Browser();
  await browser.login(user.email, user.password);
  return { ...user, browser };
}

/** The account's keys that are not revoked, as D1 has them. */
export async function liveKeyRows(accountId: string) {
  const { results } = await env.DB.prepare(
    "SELECT id, name, prefix, scopes, expires_at, rotated_at FROM api_keys WHERE account_id = ? AND revoked_at IS NULL ORDER BY created_at",
  )
    .bind(accountId)
    .all<{
      id: string;
      name: string;
      prefix: string;
      scopes: string;
      expires_at: number | null;
      rotated_at: number | null;
    }>();
  return results;
}

/** Sets one column of a key's row, as time or a report would have (e.g. `last_used_at` 91 days ago). */
export const setKeyColumn = (keyId: string, column: string, value: number | null) =>
  env.DB.prepare(`UPDATE api_keys SET ${column} = ? WHERE id = ?`).bind(value, keyId).run();

/** The names of the keys the list shows, in its order. */
export const listedNames = (html: string) =>
  [...html.matchAll(/<span class="key-name">([^<]*)</g)].map((match) => match[1]);

/** The least configuration the gateway starts with, for tests that parse a config or render without a request. */
export const MINIMAL_CONFIG = {
  UPSTREAM_URL: "http://127.0.0.1:9",
  KEY_PEPPER: "p".repeat(40),
  KEY_PREFIX_SECRET: "k".repeat(40),
  ORIGIN_SIGNING_SECRET: "s".repeat(40),
};
