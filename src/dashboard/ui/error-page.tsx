/**
 * The dashboard's error pages (403, 404, 405, 413, 429, 500, 503), as HTML:
 * the JSON envelope is for the API, not for people. A signed-in user keeps
 * the navigation; anyone else gets a way back to the login page.
 */
import { HOME, routes } from "../routes";
import { AppShell, Brand, Document, type PageContext } from "./layout";

export interface ErrorPageProps {
  page: PageContext;
  status: number;
  title: string;
  message: string;
}

function Body(props: ErrorPageProps & { back: { href: string; label: string } }) {
  return (
    <div class="error-page">
      <p class="code">ERROR {props.status}</p>
      <h1>{props.title}</h1>
      <p class="muted">{props.message}</p>
      <a class="btn btn-primary" href={props.back.href}>
        {props.back.label}
      </a>
    </div>
  );
}

/** An error as a page of its own. */
export function ErrorPage(props: ErrorPageProps) {
  if (props.page.session) {
    return (
      <AppShell page={props.page} title={props.title}>
        <div class="card">
          <Body {...props} back={{ href: HOME.href(), label: "Back to API Keys" }} />
        </div>
      </AppShell>
    );
  }
  return (
    <Document title={props.title} nonce={props.page.nonce}>
      <main class="auth">
        <Brand href={routes.login.href()} />
        <div class="card">
          <Body {...props} back={{ href: routes.login.href(), label: "Go to the login page" }} />
        </div>
      </main>
    </Document>
  );
}
