/**
 * The Settings page: the account's name and the signed-in user, and the
 * sections of Settings (API Keys, Usage, Webhooks, Audit log) as tiles that
 * lead to them.
 */
import { type PageContext, SETTINGS_SECTIONS, type SettingsSection, SettingsShell } from "../layout";

const TILES: Record<SettingsSection, { title: string; text: string }> = {
  "api-keys": {
    title: "Manage keys",
    text: "Create API keys for your applications, see when they were last used, and delete the ones you no longer need.",
  },
  usage: {
    title: "Usage",
    text: "Your requests per day for the last 30 days, per key and by outcome, and the quota used this period.",
  },
  webhooks: {
    title: "Webhooks",
    text: "Get events when keys are created, rolled, deleted or leaked, and when the quota runs low.",
  },
  "audit-log": {
    title: "Audit log",
    text: "Who changed what, and when: every change to this account and every login.",
  },
};

/** Settings, the entry to its sections. */
export function SettingsPage(props: { page: PageContext }) {
  const session = props.page.session;
  return (
    <SettingsShell page={props.page} title="Settings">
      <div class="page-header">
        <div>
          <h1>Settings</h1>
          <p>
            {session?.accountName} · signed in as {session?.email}
          </p>
        </div>
      </div>
      <div class="card tiles">
        {SETTINGS_SECTIONS.map((section) => (
          <a class="tile" href={section.href}>
            <h2>{TILES[section.id].title}</h2>
            <p>{TILES[section.id].text}</p>
          </a>
        ))}
      </div>
    </SettingsShell>
  );
}
