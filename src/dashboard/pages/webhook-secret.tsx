/**
 * The page that shows a webhook's new signing secret, once, right after its
 * URL was saved (reached by a redirect, reveal.ts), in a CopyField; and the
 * answer when it is seen again: it is not shown twice.
 */
import { type PageContext, SettingsShell } from "../layout";
import { CopyField } from "./copy-field";
import { WEBHOOKS_PATH } from "./webhooks";

/** "Copy your signing secret now." */
export function WebhookSecretPage(props: { page: PageContext; secret: string; url: string | null }) {
  return (
    <SettingsShell page={props.page} title="Your webhook signing secret" current="webhooks">
      <div class="page-header">
        <div>
          <h1>Your webhook signing secret</h1>
          <p>The webhook URL is saved. Its events are signed with this secret.</p>
        </div>
      </div>
      <div class="card narrow secret-box">
        <div class="card-body">
          <div class="alert alert-warning" role="alert">
            <strong>Copy your signing secret now.</strong>
            For your security it will not be shown again. If you lose it, save the URL again for a new one.
          </div>
          <CopyField
            inputId="webhook-secret"
            buttonId="copy-secret"
            label="Signing secret"
            value={props.secret}
            nonce={props.page.nonce}
          />
          <p class="hint">
            Check each delivery's MoMail-Signature header with it: <code>t=…,v1=…</code>, where v1 is the hex
            HMAC-SHA256 of <code>{"{t}.{raw body}"}</code> under this secret.
          </p>
          {props.url && (
            <dl class="details">
              <dt>URL</dt>
              <dd>
                <code class="break">{props.url}</code>
              </dd>
            </dl>
          )}
          <div class="actions">
            <a class="btn btn-secondary" href={WEBHOOKS_PATH}>
              Done
            </a>
          </div>
        </div>
      </div>
    </SettingsShell>
  );
}

/** The secret's page seen again (a reload, Back, another browser). */
export function WebhookSecretGonePage(props: { page: PageContext }) {
  return (
    <SettingsShell page={props.page} title="Secret already shown" current="webhooks">
      <div class="page-header">
        <div>
          <h1>This secret was shown already</h1>
        </div>
      </div>
      <div class="card narrow">
        <div class="card-body">
          <p>
            For your security a signing secret is shown only once, for a few minutes, and only in the browser that set
            the URL. Nothing was changed now.
          </p>
          <p>If you did not copy it, save the URL again: that gives a new secret, and the old one stops signing.</p>
          <a class="btn btn-primary" href={WEBHOOKS_PATH}>
            Back to Webhooks
          </a>
        </div>
      </div>
    </SettingsShell>
  );
}
