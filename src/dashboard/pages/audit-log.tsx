/**
 * Settings > Audit log: the account's audit-log entries, newest first, a
 * page at a time (links with the log's cursor: no script needed). Each entry
 * says when (UTC), who (an operator through the admin API, a user by email,
 * or the gateway itself and why), what in words, to which account, login or
 * key (by name when it still exists), and from which address.
 */
import type { AuditAction } from "../../audit/entries";
import type { AuditEntryView } from "../../audit/list";
import { type PageContext, SettingsShell } from "../layout";
import { Time } from "./format";

export const AUDIT_LOG_PATH = "/dashboard/settings/audit-log";

/** What the page knows by id, to name an entry's target. */
export interface AuditNames {
  accountName: string;
  keys: Map<string, { name: string; prefix: string; revokedAt: Date | null }>;
  users: Map<string, string>;
}

export interface AuditLogPageProps {
  page: PageContext;
  entries: AuditEntryView[];
  names: AuditNames;
  /** The cursor of this page (absent on the first), and of the next, older one (null on the last). */
  cursor?: string;
  nextCursor: string | null;
}

export const ACTION_WORDS: Record<AuditAction, string> = {
  "account.created": "Account created",
  "account.updated": "Account settings changed",
  "user.created": "Login created",
  "user.updated": "Password changed",
  "user.deleted": "Login deleted",
  "user.login": "Logged in",
  "user.login_failed": "Failed login",
  "key.created": "Key created",
  "key.updated": "Key changed",
  "key.revoked": "Key deleted",
  "key.rotated": "Key rolled",
  "key.leaked": "Key reported as leaked",
  "webhook.secret_rolled": "Webhook secret rolled",
};

/** Why the gateway itself acted, in words. */
const SYSTEM_REASONS: Record<string, string> = {
  "github-secret-scanning": "GitHub secret scanning",
  "leaked-keys-report": "a leak report to MoMail",
};

function Actor(props: { actor: AuditEntryView["actor"] }) {
  const { actor } = props;
  if (actor.type === "user") return <span class="actor">{actor.email}</span>;
  if (actor.type === "admin") {
    return (
      <span class="actor">
        MoMail operator <span class="muted small">(admin API)</span>
      </span>
    );
  }
  return (
    <span class="actor">
      System <span class="muted small">({SYSTEM_REASONS[actor.reason] ?? actor.reason})</span>
    </span>
  );
}

function KeyName(props: { id: string; names: AuditNames }) {
  const key = props.names.keys.get(props.id);
  if (!key) return <code>{props.id}</code>;
  return (
    <>
      {key.name} <code class="prefix">{key.prefix}</code>
    </>
  );
}

function Target(props: { target: AuditEntryView["target"]; names: AuditNames }) {
  const { target, names } = props;
  if (target.type === "key") {
    return (
      <>
        <span class="muted small">Key</span> <KeyName id={target.id} names={names} />
      </>
    );
  }
  if (target.type === "user") {
    const email = names.users.get(target.id);
    return (
      <>
        <span class="muted small">Login</span> {email ?? <span class="muted">deleted ({target.id})</span>}
      </>
    );
  }
  return (
    <>
      <span class="muted small">Account</span> {names.accountName}
    </>
  );
}

/** What else an entry says: a roll's new key, a leak report's source and URL, a note. */
function Details(props: { entry: AuditEntryView; names: AuditNames }) {
  const details = props.entry.details;
  if (!details) return null;
  const { newKeyId, ...rest } = details;
  return (
    <div class="muted small details-line">
      {newKeyId && (
        <div>
          New key: <KeyName id={newKeyId} names={props.names} />
        </div>
      )}
      {Object.entries(rest)
        .filter(([, value]) => value)
        .map(([name, value]) => (
          <div>
            {name}: <span class="break">{value}</span>
          </div>
        ))}
    </div>
  );
}

function Pages(props: Pick<AuditLogPageProps, "cursor" | "nextCursor">) {
  if (!props.cursor && !props.nextCursor) return null;
  return (
    <nav class="pager" aria-label="Audit log pages">
      {props.cursor && (
        <a class="btn btn-secondary btn-small" href={AUDIT_LOG_PATH}>
          Newest entries
        </a>
      )}
      {props.nextCursor && (
        <a
          class="btn btn-secondary btn-small"
          href={`${AUDIT_LOG_PATH}?cursor=${encodeURIComponent(props.nextCursor)}`}
        >
          Older entries
        </a>
      )}
    </nav>
  );
}

/** Settings > Audit log. */
export function AuditLogPage(props: AuditLogPageProps) {
  return (
    <SettingsShell page={props.page} title="Audit log" current="audit-log">
      <div class="page-header">
        <div>
          <h1>Audit log</h1>
          <p>Every change to this account and its keys, and every login, newest first. Times are in UTC.</p>
        </div>
      </div>
      <div class="card">
        {props.entries.length === 0 ? (
          <div class="empty">
            <p>{props.cursor ? "No older entries." : "Nothing has been recorded yet."}</p>
          </div>
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">
                Audit log of {props.names.accountName}
                {props.cursor ? ", older entries" : ", newest entries"}
              </caption>
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Actor</th>
                  <th scope="col">Action</th>
                  <th scope="col">Target</th>
                  <th scope="col">IP address</th>
                </tr>
              </thead>
              <tbody>
                {props.entries.map((entry) => (
                  <tr
                    class={
                      entry.action === "key.leaked" || entry.action === "user.login_failed" ? "flagged" : undefined
                    }
                  >
                    <td class="date">
                      <Time date={new Date(entry.at)} />
                    </td>
                    <td>
                      <Actor actor={entry.actor} />
                    </td>
                    <td>
                      {ACTION_WORDS[entry.action] ?? entry.action}
                      <Details entry={entry} names={props.names} />
                    </td>
                    <td>
                      <Target target={entry.target} names={props.names} />
                    </td>
                    <td class="date">{entry.ip ? <code>{entry.ip}</code> : <span class="muted">None</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pages cursor={props.cursor} nextCursor={props.nextCursor} />
      </div>
    </SettingsShell>
  );
}
