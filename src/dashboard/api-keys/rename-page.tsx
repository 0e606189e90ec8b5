/**
 * Renaming a key: the same field as Create New Key, as a page of its own
 * for when the name was refused (with the message next to the field) or for
 * browsers without <details>; the list's inline form (key-table.tsx) posts
 * to the same route.
 */
import type { ApiKey } from "../../db/schema";
import { routes } from "../routes";
import { CsrfField, FormActions, FormAlert } from "../ui/fields";
import { type PageContext, PageHeader } from "../ui/layout";
import { SettingsShell } from "../ui/settings";
import { NameField } from "./key-parts";

/** "Rename API key": one field, the new name. */
export function RenameKeyPage(props: { page: PageContext; apiKey: ApiKey; name: string; error?: string }) {
  const { apiKey } = props;
  return (
    <SettingsShell page={props.page} title="Rename API key" current="api-keys">
      <PageHeader heading="Rename API key">
        The key <code class="prefix">{apiKey.prefix}</code> keeps working; only its name changes.
      </PageHeader>
      <div class="card narrow">
        <form class="card-body" method="post" action={routes.renameKey.href({ keyId: apiKey.id })}>
          <CsrfField token={props.page.session?.csrfToken ?? ""} />
          <FormAlert message={props.error ? "Please correct the highlighted fields." : undefined} />
          <NameField value={props.name} error={props.error} />
          <FormActions submit="Save name" cancel={routes.apiKeys.href()} />
        </form>
      </div>
    </SettingsShell>
  );
}
