/**
 * The confirmation step before a key is deleted: which key, what deleting
 * it means (it stops working at once and cannot be restored), and a
 * "Yes, delete" button that posts the deletion. A plain page, so it works
 * without JavaScript. A key its leak report revoked no longer works
 * already: deleting it removes it from the list.
 */
import type { ApiKey } from "../../db/schema";
import { CsrfField, type PageContext, SettingsShell } from "../layout";
import { KeyFormActions } from "./fields";
import { Time } from "./format";

/** "Delete this key?" */
export function DeleteKeyPage(props: { page: PageContext; apiKey: ApiKey }) {
  const { apiKey } = props;
  return (
    <SettingsShell page={props.page} title="Delete API key" current="api-keys">
      <div class="page-header">
        <div>
          <h1>Delete API key?</h1>
          <p>Check that this is the key you mean to delete.</p>
        </div>
      </div>
      <div class="card narrow">
        <form class="card-body" method="post" action={`/dashboard/settings/api-keys/${apiKey.id}/delete`}>
          <CsrfField token={props.page.session?.csrfToken ?? ""} />
          <dl class="details">
            <dt>Name</dt>
            <dd>
              <strong>{apiKey.name}</strong>
            </dd>
            <dt>Prefix</dt>
            <dd>
              <code class="prefix">{apiKey.prefix}</code>
            </dd>
            <dt>Created</dt>
            <dd>
              <Time date={apiKey.createdAt} />
            </dd>
            <dt>Last used</dt>
            <dd>
              <Time date={apiKey.lastUsedAt} />
            </dd>
          </dl>
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
          <KeyFormActions submit="Yes, delete" danger />
        </form>
      </div>
    </SettingsShell>
  );
}
