/**
 * The page that shows a webhook's new signing secret, once, right after its
 * URL was saved (reached by a redirect, ../reveal.ts), in a CopyField, with
 * how to check a delivery's signature with it; and the answer when it is
 * seen again: it is not shown twice.
 */
import { routes } from "../routes";
import type { PageContext } from "../ui/layout";
import { SecretPage, ShownAlreadyPage } from "../ui/shown-once";

/** "Copy your signing secret now." */
export function WebhookSecretPage(props: { page: PageContext; secret: string; url: string | null }) {
  return (
    <SecretPage
      page={props.page}
      title="Your webhook signing secret"
      lead="The webhook URL is saved. Its events are signed with this secret."
      current="webhooks"
      what="signing secret"
      ifLost="save the URL again for a new one."
      field={{ inputId: "webhook-secret", buttonId: "copy-secret", label: "Signing secret", value: props.secret }}
      done={routes.webhooks.href()}
    >
      <p class="hint">
        Check each delivery's MoMail-Signature header with it: <code>t=…,v1=…</code>, where v1 is the hex HMAC-SHA256 of{" "}
        <code>{"{t}.{raw body}"}</code> under this secret.
      </p>
      {props.url && (
        <dl class="details">
          <dt>URL</dt>
          <dd>
            <code class="break">{props.url}</code>
          </dd>
        </dl>
      )}
    </SecretPage>
  );
}

/** The secret's page seen again (a reload, Back, another browser). */
export function WebhookSecretGonePage(props: { page: PageContext }) {
  return (
    <ShownAlreadyPage page={props.page} noun="secret" current="webhooks">
      <p>
        For your security a signing secret is shown only once, for a few minutes, and only in the browser that set the
        URL. Nothing was changed now.
      </p>
      <p>If you did not copy it, save the URL again: that gives a new secret, and the old one stops signing.</p>
    </ShownAlreadyPage>
  );
}
