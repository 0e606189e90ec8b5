/**
 * The login page: email and password, a generic error whatever was wrong,
 * the throttling message, and the notice after logging out. The form posts
 * to itself with its double-submit CSRF token.
 */
import { routes } from "../routes";
import { CsrfField, Field, FormAlert } from "../ui/fields";
import { Brand, Document } from "../ui/layout";

export interface LoginPageProps {
  nonce: string;
  csrfToken: string;
  email?: string;
  error?: string;
  notice?: string;
}

/** The "Log in to your MoMail Dashboard" page. */
export function LoginPage(props: LoginPageProps) {
  // The first empty field takes the focus: the password once the email came back.
  const again = Boolean(props.email);
  return (
    <Document title="Log in" nonce={props.nonce}>
      <main class="auth">
        <Brand href={routes.login.href()} />
        <div class="card">
          <div class="card-body">
            <h1>Log in to your MoMail Dashboard</h1>
            <p class="muted">Manage your account's API keys.</p>
            <FormAlert message={props.error} />
            {props.notice && (
              <div class="alert alert-success" role="status">
                {props.notice}
              </div>
            )}
            <form method="post" action={routes.login.href()}>
              <CsrfField token={props.csrfToken} />
              <Field id="email" label="Email">
                <input
                  id="email"
                  name="email"
                  type="email"
                  autocomplete="username"
                  required
                  autofocus={!again}
                  value={props.email ?? ""}
                />
              </Field>
              <Field id="password" label="Password">
                <input
                  id="password"
                  name="password"
                  type="password"
                  autocomplete="current-password"
                  required
                  autofocus={again}
                />
              </Field>
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
