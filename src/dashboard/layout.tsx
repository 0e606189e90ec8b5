/**
 * The frame every dashboard page shares: the HTML document (with the inline
 * stylesheet under the request's CSP nonce), the top bar with the MoMail
 * brand, the "Settings" navigation and the signed-in user's "Log out" button,
 * and the Settings section's side navigation (SETTINGS_SECTIONS: API Keys,
 * Usage, Webhooks, Audit log). A
 * "Skip to content" link comes first, for keyboard users.
 */
import type { Child } from "hono/jsx";
import { CSRF_FIELD } from "./csrf";
import type { DashboardSession } from "./session";
import { STYLES } from "./styles";

/** What every page needs from the request: the CSP nonce, and the session when signed in. */
export interface PageContext {
  nonce: string;
  session?: DashboardSession;
}

/** The html document: head with title and styles, then the page. */
export function Document(props: { title: string; nonce: string; bodyClass?: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{`${props.title} · MoMail Dashboard`}</title>
        <style nonce={props.nonce} dangerouslySetInnerHTML={{ __html: STYLES }} />
      </head>
      <body class={props.bodyClass}>{props.children}</body>
    </html>
  );
}

/** The MoMail mark and wordmark. */
export function Brand(props: { href: string }) {
  return (
    <a class="brand" href={props.href}>
      <svg width="28" height="28" viewBox="0 0 28 28" aria-hidden="true">
        <rect width="28" height="28" rx="7" fill="#4f46e5" />
        <rect x="6.5" y="9" width="15" height="10.5" rx="1.5" fill="none" stroke="#fff" stroke-width="1.8" />
        <path
          d="m7.5 10.5 6.5 4.8 6.5-4.8"
          fill="none"
          stroke="#fff"
          stroke-width="1.8"
          stroke-linecap="round"
          stroke-linejoin="round"
        />
      </svg>
      MoMail <small>Dashboard</small>
    </a>
  );
}

/** A hidden field with the form's CSRF token. */
export function CsrfField(props: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={props.token} />;
}

/** A signed-in page: top bar, navigation, and the page in the middle. */
export function AppShell(props: { page: PageContext; title: string; section?: "settings"; children: Child }) {
  const { session, nonce } = props.page;
  return (
    <Document title={props.title} nonce={nonce}>
      <a class="skip-link" href="#content">
        Skip to content
      </a>
      <header class="topbar">
        <div class="container">
          <Brand href="/dashboard" />
          <nav class="nav-primary" aria-label="Main">
            <a href="/dashboard/settings" aria-current={props.section === "settings" ? "true" : undefined}>
              Settings
            </a>
          </nav>
          {session && (
            <div class="account">
              <span title={session.accountName}>{session.email}</span>
              <form method="post" action="/dashboard/logout">
                <CsrfField token={session.csrfToken} />
                <button type="submit" class="btn btn-secondary">
                  Log out
                </button>
              </form>
            </div>
          )}
        </div>
      </header>
      <main class="container" id="content" tabindex={-1}>
        {props.children}
      </main>
    </Document>
  );
}

/** The sections of Settings, in the order of the side navigation. */
export const SETTINGS_SECTIONS = [
  { id: "api-keys", href: "/dashboard/settings/api-keys", label: "API Keys" },
  { id: "usage", href: "/dashboard/settings/usage", label: "Usage" },
  { id: "webhooks", href: "/dashboard/settings/webhooks", label: "Webhooks" },
  { id: "audit-log", href: "/dashboard/settings/audit-log", label: "Audit log" },
] as const;

export type SettingsSection = (typeof SETTINGS_SECTIONS)[number]["id"];

/** A page of the Settings section, with its side navigation. */
export function SettingsShell(props: { page: PageContext; title: string; current?: SettingsSection; children: Child }) {
  return (
    <AppShell page={props.page} title={props.title} section="settings">
      <div class="settings">
        <nav class="nav-side" aria-labelledby="settings-nav">
          <h2 id="settings-nav">Settings</h2>
          <ul>
            {SETTINGS_SECTIONS.map((section) => (
              <li>
                <a href={section.href} aria-current={props.current === section.id ? "page" : undefined}>
                  {section.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <section>{props.children}</section>
      </div>
    </AppShell>
  );
}
