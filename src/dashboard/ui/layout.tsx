/**
 * The frame every dashboard page shares: the HTML document (with the inline
 * stylesheet under the request's CSP nonce), the top bar with the MoMail
 * brand, the "Settings" navigation and the signed-in user's "Log out"
 * button, and a page's header (its heading, a line about it, and its main
 * action). A "Skip to content" link comes first, for keyboard users. The
 * Settings section's side navigation is settings.tsx.
 */
import type { Child } from "hono/jsx";
import type { DashboardSession } from "../../app-env";
import { routes } from "../routes";
import { CsrfField } from "./fields";
import { STYLES } from "./styles";

/** What every page needs from the request: the CSP nonce, and the session when signed in. */
export interface PageContext {
  nonce: string;
  session?: DashboardSession;
}

/** The html document: head with title and styles, then the page. */
export function Document(props: { title: string; nonce: string; children: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="robots" content="noindex" />
        <title>{`${props.title} · MoMail Dashboard`}</title>
        <style nonce={props.nonce} dangerouslySetInnerHTML={{ __html: STYLES }} />
      </head>
      <body>{props.children}</body>
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
          <Brand href={routes.root.href()} />
          <nav class="nav-primary" aria-label="Main">
            <a href={routes.settings.href()} aria-current={props.section === "settings" ? "true" : undefined}>
              Settings
            </a>
          </nav>
          {session && (
            <div class="account">
              <span title={session.accountName}>{session.email}</span>
              <form method="post" action={routes.logout.href()}>
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

/** A page's heading, the line under it (`children`), and its main action, if any. */
export function PageHeader(props: { heading: string; children?: Child; action?: Child }) {
  return (
    <div class="page-header">
      <div>
        <h1>{props.heading}</h1>
        {props.children && <p>{props.children}</p>}
      </div>
      {props.action}
    </div>
  );
}
