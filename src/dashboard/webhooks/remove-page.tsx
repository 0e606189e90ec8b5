/**
 * The confirmation step before the webhook is removed: where events stop
 * going, that its signing secret is deleted with it, and a "Yes, remove"
 * button that posts the removal. A plain page, so it works without
 * JavaScript.
 */
import { routes } from "../routes";
import { CsrfField, FormActions } from "../ui/fields";
import { type PageContext, PageHeader } from "../ui/layout";
import { SettingsShell } from "../ui/settings";

/** "Remove the webhook?": what removing means, and the button that does it. */
export function RemoveWebhookPage(props: { page: PageContext; url: string }) {
  return (
    <SettingsShell page={props.page} title="Remove webhook" current="webhooks">
      <PageHeader heading="Remove the webhook?" />
      <div class="card narrow">
        <form class="card-body" method="post" action={routes.removeWebhook.href()}>
          <CsrfField token={props.page.session?.csrfToken ?? ""} />
          <p>
            Events stop going to <code class="break">{props.url}</code>, and its signing secret is deleted. Saving a URL
            again gives a new secret.
          </p>
          <FormActions submit="Yes, remove" cancel={routes.webhooks.href()} danger />
        </form>
      </div>
    </SettingsShell>
  );
}
