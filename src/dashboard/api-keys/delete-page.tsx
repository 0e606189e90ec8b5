/**
 * The confirmation step before a key is deleted: which key, what deleting
 * it means (it stops working at once and cannot be restored), and a
 * "Yes, delete" button that posts the deletion. A plain page, so it works
 * without JavaScript. A key its leak report revoked no longer works
 * already: deleting it removes it from the list.
 */
import type { ApiKey } from "../../db/schema";
import { routes } from "../routes";
import { CsrfField, FormActions } from "../ui/fields";
import { Time } from "../ui/format";
import { type PageContext, PageHeader } from "../ui/layout";
import { SettingsShell } from "../ui/settings";
import { KeyTerms } from "./key-parts";

/** "Delete this key?" */
export function DeleteKeyPage(props: { page: PageContext; apiKey: ApiKey }) {
  const { apiKey } = props;
  return (
    <SettingsShell page={props.page} title="Delete API key" current="api-keys">
      <PageHeader heading="Delete API key?">Check that this is the key you mean to delete.</PageHeader>
      <div class="card narrow">
        <form class="card-body" method="post" action={routes.deleteKey.href({ keyId: apiKey.id })}>
          <CsrfField token={props.page.session?.csrfToken ?? ""} />
          <KeyTerms apiKey={apiKey}>
            <dt>Created</dt>
            <dd>
              <Time date={apiKey.createdAt} />
            </dd>
            <dt>Last used</dt>
            <dd>
              <Time date={apiKey.lastUsedAt} />
            </dd>
          </KeyTerms>
          {apiKey.revokedAt ? (
            <div class="alert alert-warning spaced">
              This key was revoked when its leak was reported: it no longer works. Deleting it removes it from the list
              of keys for good.
            </div>
          ) : (
            <div class="alert alert-error spaced">
              Once deleted, the key immediately stops working for every request, and it cannot be restored.
            </div>
          )}
          <FormActions submit="Yes, delete" cancel={routes.apiKeys.href()} danger />
        </form>
      </div>
    </SettingsShell>
  );
}
