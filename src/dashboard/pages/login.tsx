/**
 * The login page: email and password, a generic error whatever was wrong,
 * the throttling message, and the notice after logging out. The form posts
 * to itself with its double-submit CSRF token.
 */
import { Brand, CsrfField, Document } from "../layout";

export interface LoginPageProps {
  nonce: string;
  csrfToken: string;
  email?: string;
  error?: string;
  notice?: string;
}

/** The "Log in to your MoMail Dashboard" page. */
export function LoginPage(props: LoginPageProps) {
  return (
    <Document title="Log in" nonce={props.nonce}>
      <main class="auth">
        <Brand href="/dashboard/login" />
        <div class="card">
          <div class="card-body">
            <h1>Log in to your MoMail Dashboard</h1>
            <p class="muted">Manage your account's API keys.</p>
            {props.error && (
              <div class="alert alert-error" role="alert">
                {props.error}
              </div>
            )}
            {props.notice && (
              <div class="alert alert-success" role="status">
                {props.notice}
              </div>
            )}
            <form method="post" action="/dashboard/login">
              <CsrfField token={props.csrfToken} />
              <div class="field">
                <label for="email">Email</label>
                <input
                  id="email"
                  name="email"
                  type="email"
                  autocomplete="username"
                  required
                  autofocus={!props.email}
                  value={props.email ?? ""}
                />
              </div>
              <div class="field">
                <label for="password">Password</label>
                <input
                  id="password"
                  name="password"
                  type="password"
                  autocomplete="current-password"
                  required
                  autofocus={Boolean(props.email)}
                />
              </div>
              <button type="submit" class="btn btn-primary btn-block">
                Log in
              </button>
            </form>
          </div>
        </div>
        <footer>Accounts and logins are set up by your MoMail administrator.</footer>
      </main>
    </Document>
  );
}
