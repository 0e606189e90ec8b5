/**
 * The page that shows a new key, once: after Create New Key, or after a
 * roll (then also when the old key stops working), in a CopyField (select
 * and copy without JavaScript, or the "Copy" button). The page is reached
 * by a redirect and can be seen once (reveal.ts): a reload answers "already
 * shown" and creates nothing. `KeyGonePage` is that answer.
 */
import type { ApiKey } from "../../db/schema";
import { routes } from "../routes";
import { formatDate, Time } from "../ui/format";
import type { PageContext } from "../ui/layout";
import { SecretPage, ShownAlreadyPage } from "../ui/shown-once";
import { KeyTerms } from "./key-parts";

export interface KeyShownPageProps {
  page: PageContext;
  apiKey: ApiKey;
  /** The full key: in this page only, never in a URL, a cookie or a log. */
  secretKey: string;
  /** After a roll: the key it replaces, as it is now (undefined for a new key, null if it was deleted since). */
  replaced?: ApiKey | null;
}

/** When the old key of a roll stops working, in words. */
function OldKeyNotice(props: { replaced: ApiKey | null }) {
  const old = props.replaced;
  if (!old) return <p>The old key has been deleted; it no longer works.</p>;
  const stops = old.expiresAt;
  if (!stops || stops.getTime() <= Date.now()) {
    return (
      <p>
        The old key <code class="prefix">{old.prefix}</code> has stopped working.
      </p>
    );
  }
  return (
    <p>
      The old key <code class="prefix">{old.prefix}</code> keeps working until <strong>{formatDate(stops)}</strong>,
      then stops. Update your applications before then.
    </p>
  );
}

/** "Copy your new key now": the full key, shown this once. */
export function KeyShownPage(props: KeyShownPageProps) {
  const { apiKey } = props;
  const rolled = props.replaced !== undefined;
  const title = rolled ? "Your rolled API key" : "Your new API key";
  const notice = rolled && (
    <div class="alert alert-info" role="status">
      <OldKeyNotice replaced={props.replaced ?? null} />
    </div>
  );
  return (
    <SecretPage
      page={props.page}
      title={title}
      lead={`“${apiKey.name}” is ready to use.`}
      current="api-keys"
      what="key"
      ifLost="delete it and create a new one."
      field={{ inputId: "new-key", buttonId: "copy-key", label: "API key", value: props.secretKey }}
      done={routes.apiKeys.href()}
      notice={notice}
    >
      <KeyTerms apiKey={apiKey}>
        <dt>Expires</dt>
        <dd>
          <Time date={apiKey.expiresAt} />
        </dd>
      </KeyTerms>
    </SecretPage>
  );
}

/** A new key's page seen again (a reload, Back, another browser): the key is not shown twice. */
export function KeyGonePage(props: { page: PageContext }) {
  return (
    <ShownAlreadyPage page={props.page} noun="key" current="api-keys">
      <p>
        For your security a new key is shown only once, for a few minutes, and only in the browser that created it.
        Nothing was created or changed now.
      </p>
      <p>If you did not copy it, delete that key and create a new one.</p>
    </ShownAlreadyPage>
  );
}
