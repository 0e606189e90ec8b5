/**
 * The pages of a secret shown once (a new or rolled API key, a webhook's new
 * signing secret; ../reveal.ts holds it for that one view): the page that
 * warns to copy it now, with the secret in a CopyField, what the page says
 * about it, and Done; and the page a second view gets instead, which shows
 * nothing and says what to do if the secret was not copied.
 */
import type { Child } from "hono/jsx";
import { CopyField } from "./copy-field";
import { type PageContext, PageHeader } from "./layout";
import { SETTINGS_SECTIONS, type SettingsSection, SettingsShell } from "./settings";

export interface SecretPageProps {
  page: PageContext;
  /** The page's title and heading, the line under it, and its Settings section. */
  title: string;
  lead: Child;
  current: SettingsSection;
  /** What the secret is, in the warning: "key", "signing secret". */
  what: string;
  /** What to do when it was not copied: "delete it and create a new one." */
  ifLost: string;
  /** The CopyField: its ids, its label and the secret. */
  field: { inputId: string; buttonId: string; label: string; value: string };
  /** Where Done leads. */
  done: string;
  /** An alert under the warning (e.g. when a rolled key's predecessor stops working). */
  notice?: Child;
  /** What follows the secret: its details, how to use it. */
  children?: Child;
}

/** "Copy your … now.": the secret, this once, and Done. */
export function SecretPage(props: SecretPageProps) {
  return (
    <SettingsShell page={props.page} title={props.title} current={props.current}>
      <PageHeader heading={props.title}>{props.lead}</PageHeader>
      <div class="card narrow secret-box">
        <div class="card-body">
          <div class="alert alert-warning" role="alert">
            <strong>Copy your {props.what} now.</strong>
            For your security it will not be shown again. If you lose it, {props.ifLost}
          </div>
          {props.notice}
          <CopyField {...props.field} nonce={props.page.nonce} />
          {props.children}
          <div class="actions">
            <a class="btn btn-secondary" href={props.done}>
              Done
            </a>
          </div>
        </div>
      </div>
    </SettingsShell>
  );
}

/** The page a secret's second view gets (a reload, Back, another browser): it is not shown twice. */
export function ShownAlreadyPage(props: {
  page: PageContext;
  /** What was shown: "key", "secret". */
  noun: string;
  /** The Settings section it belongs to, which the page leads back to. */
  current: SettingsSection;
  /** Why it is not shown again, and what to do if it was not copied. */
  children: Child;
}) {
  const title = `${props.noun.charAt(0).toUpperCase()}${props.noun.slice(1)} already shown`;
  const back = SETTINGS_SECTIONS.find((section) => section.id === props.current) ?? SETTINGS_SECTIONS[0];
  return (
    <SettingsShell page={props.page} title={title} current={props.current}>
      <PageHeader heading={`This ${props.noun} was shown already`} />
      <div class="card narrow">
        <div class="card-body">
          {props.children}
          <a class="btn btn-primary" href={back.href}>
            Back to {back.label}
          </a>
        </div>
      </div>
    </SettingsShell>
  );
}
