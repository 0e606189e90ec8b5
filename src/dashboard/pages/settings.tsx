/**
 * The Settings page: the account's name and the signed-in user, and the
 * sections of Settings (today: API Keys) as tiles that lead to them.
 */
import { type PageContext, SettingsShell } from "../layout";

/** Settings, the entry to Settings > API Keys. */
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
      <div class="card">
        <a class="tile" href="/dashboard/settings/api-keys">
          <h2>Manage keys</h2>
          <p>
            Create API keys for your applications, see when they were last used, and delete the ones you no longer need.
          </p>
        </a>
      </div>
    </SettingsShell>
  );
}
