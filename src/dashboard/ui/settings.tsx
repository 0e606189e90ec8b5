/**
 * The Settings section's frame: its sections (SETTINGS_SECTIONS: API Keys,
 * Usage, Webhooks, Audit log), declared once with the words of their side
 * navigation and of their tiles; the side navigation every Settings page
 * has; and the Settings page itself, the account's name and the signed-in
 * user above a tile per section.
 */
import type { Child } from "hono/jsx";
import { routes } from "../routes";
import { AppShell, type PageContext, PageHeader } from "./layout";

/** The sections of Settings, in the order of the side navigation. */
export const SETTINGS_SECTIONS = [
  {
    id: "api-keys",
    href: routes.apiKeys.href(),
    label: "API Keys",
    title: "Manage keys",
    text: "Create API keys for your applications, see when they were last used, and delete the ones you no longer need.",
  },
  {
    id: "usage",
    href: routes.usage.href(),
    label: "Usage",
    title: "Usage",
    text: "Your requests per day for the last 30 days, per key and by outcome, and the quota used this period.",
  },
  {
    id: "webhooks",
    href: routes.webhooks.href(),
    label: "Webhooks",
    title: "Webhooks",
    text: "Get events when keys are created, rolled, deleted or leaked, and when the quota runs low.",
  },
  {
    id: "audit-log",
    href: routes.auditLog.href(),
    label: "Audit log",
    title: "Audit log",
    text: "Who changed what, and when: every change to this account and every login.",
  },
] as const;

export type SettingsSection = (typeof SETTINGS_SECTIONS)[number]["id"];

/** A page of the Settings section, with its side navigation. */
export function SettingsShell(props: { page: PageContext; title: string; current?: SettingsSection; children: Child }) {
  return (
    <AppShell page={props.page} title={props.title} section="settings">
      <div class="settings">
        <nav class="nav-side" aria-labelledby="settings-nav">
          <h2 id="settings-nav">Settings</h2>
          <ul>
            {SETTINGS_SECTIONS.map((section) => (
              <li>
                <a href={section.href} aria-current={props.current === section.id ? "page" : undefined}>
                  {section.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <section>{props.children}</section>
      </div>
    </AppShell>
  );
}

/** Settings, the entry to its sections. */
export function SettingsPage(props: { page: PageContext }) {
  const session = props.page.session;
  return (
    <SettingsShell page={props.page} title="Settings">
      <PageHeader heading="Settings">
        {session?.accountName} · signed in as {session?.email}
      </PageHeader>
      <div class="card tiles">
        {SETTINGS_SECTIONS.map((section) => (
          <a class="tile" href={section.href}>
            <h2>{section.title}</h2>
            <p>{section.text}</p>
          </a>
        ))}
      </div>
    </SettingsShell>
  );
}
