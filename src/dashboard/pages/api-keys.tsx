/**
 * Settings > API Keys: the account's live keys with their name, 8-character
 * prefix, creation, expiry and last use, a "Delete" button on each (leading
 * to the confirmation page), and the "Create New Key" button. Never shows a
 * key's secret: that is shown once, on the page that created it.
 */
import type { ApiKey } from "../../db/schema";
import { type PageContext, SettingsShell } from "../layout";
import { Time } from "./format";

export interface ApiKeysPageProps {
  page: PageContext;
  keys: ApiKey[];
  /** The prefix of a key just deleted, for the notice. */
  deletedPrefix?: string;
}

function KeyRow(props: { apiKey: ApiKey }) {
  const key = props.apiKey;
  const expired = key.expiresAt != null && key.expiresAt.getTime() <= Date.now();
  return (
    <tr>
      <td class="name">{key.name}</td>
      <td>
        <code class="prefix">{key.prefix}</code>
      </td>
      <td class="date">
        <Time date={key.createdAt} dayOnly />
      </td>
      <td class="date">
        <Time date={key.expiresAt} dayOnly />
        {expired && <span class="muted"> (expired)</span>}
      </td>
      <td class="date">
        <Time date={key.lastUsedAt} />
      </td>
      <td class="end">
        <form method="get" action={`/dashboard/settings/api-keys/${key.id}/delete`}>
          <button type="submit" class="btn btn-ghost-danger" aria-label={`Delete ${key.name} (${key.prefix})`}>
            Delete
          </button>
        </form>
      </td>
    </tr>
  );
}

function KeyTable(props: { keys: ApiKey[] }) {
  if (props.keys.length === 0) {
    return (
      <div class="empty">
        <h2>No API keys yet</h2>
        <p>Create a key to start calling the MoMail API from your applications.</p>
      </div>
    );
  }
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Prefix</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.keys.map((key) => (
            <KeyRow apiKey={key} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The list of the account's keys. */
export function ApiKeysPage(props: ApiKeysPageProps) {
  return (
    <SettingsShell page={props.page} title="API Keys" current="api-keys">
      <div class="page-header">
        <div>
          <h1>API Keys</h1>
          <p>Keys authenticate your requests to the MoMail API. Send one in the X-API-Key header.</p>
        </div>
        <form method="get" action="/dashboard/settings/api-keys/new">
          <button type="submit" class="btn btn-primary">
            Create New Key
          </button>
        </form>
      </div>
      {props.deletedPrefix && (
        <div class="alert alert-success" role="status">
          The key <code>{props.deletedPrefix}</code> was deleted. It no longer works.
        </div>
      )}
      <div class="card">
        <KeyTable keys={props.keys} />
      </div>
    </SettingsShell>
  );
}
