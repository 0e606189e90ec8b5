/**
 * One audit-log entry in words, cell by cell: who acted (a user by email,
 * an operator through the admin API, or the gateway itself and why), what
 * they did (ACTION_WORDS) with its details (a roll's new key, a leak
 * report's source and URL, a note), and to which account, login or key, by
 * name while it exists (AuditNames), else by id.
 */
import type { AuditAction } from "../../audit/entries";
import type { AuditEntryView } from "../../audit/list";

/** What the page knows by id, to name an entry's target. */
export interface AuditNames {
  accountName: string;
  keys: Map<string, { name: string; prefix: string; revokedAt: Date | null }>;
  users: Map<string, string>;
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

/** Who acted, in words. */
export function Actor(props: { actor: AuditEntryView["actor"] }) {
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

/** What the entry is about: the account, a login by email, or a key by name and prefix. */
export function Target(props: { target: AuditEntryView["target"]; names: AuditNames }) {
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
export function Details(props: { entry: AuditEntryView; names: AuditNames }) {
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
