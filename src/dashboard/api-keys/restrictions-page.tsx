/**
 * A key's own page for its restrictions: the IP addresses it may be used
 * from and the domains it may send from, one per line, as Create New Key
 * asks for them. Saving applies them to the key's very next request; a list
 * refused is shown again with what was typed and the message of its line.
 */
import type { ApiKey } from "../../db/schema";
import { routes } from "../routes";
import { CsrfField, FormActions, FormAlert } from "../ui/fields";
import { type PageContext, PageHeader } from "../ui/layout";
import { SettingsShell } from "../ui/settings";
import type { FieldErrors, RestrictionValues } from "./forms";
import { KeyTerms } from "./key-parts";
import { RestrictionFields } from "./restrictions";

export interface RestrictionsPageProps {
  page: PageContext;
  apiKey: ApiKey;
  values: RestrictionValues;
  errors?: FieldErrors<RestrictionValues>;
}

/** "Key restrictions": the two lists, then Save. */
export function RestrictionsPage(props: RestrictionsPageProps) {
  const { apiKey } = props;
  const errors = props.errors ?? {};
  const refused = Object.keys(errors).length > 0 ? "Please correct the highlighted fields." : undefined;
  return (
    <SettingsShell page={props.page} title="Key restrictions" current="api-keys">
      <PageHeader heading="Key restrictions">
        Limit where this key can be used from and which domains it can send from. Changes apply to its next request.
      </PageHeader>
      <div class="card narrow">
        <form class="card-body" method="post" action={routes.keyRestrictions.href({ keyId: apiKey.id })}>
          <CsrfField token={props.page.session?.csrfToken ?? ""} />
          <FormAlert message={refused} />
          <KeyTerms apiKey={apiKey}>
            <dt>Mode</dt>
            <dd>{apiKey.mode === "test" ? "Test" : "Live"}</dd>
          </KeyTerms>
          <div class="spaced-top">
            <RestrictionFields values={props.values} errors={errors} />
          </div>
          <FormActions submit="Save restrictions" cancel={routes.apiKeys.href()} />
        </form>
      </div>
    </SettingsShell>
  );
}
